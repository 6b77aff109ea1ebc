/**
 * The workflow against the real store and real BullMQ queues on 127.0.0.1:6379. The outbox is
 * drained (the real drainer, one round) before the dispatch and SLA queues are inspected rather
 * than worked, so every notification and timer the workflow's commits asked for is visible as a
 * job; one test runs the real dispatcher where delivery itself matters.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job, JobType } from 'bullmq';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import pino from 'pino';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionMessage } from '../contract/index.js';
import { centerConfigSchema, type CenterConfig } from '../center/config.js';
import { startDispatcher, type DispatchJobData } from './dispatcher.js';
import { deleteKeys, detection, evidenceRef, fakeJpeg, MOSQUITTO_URL, REDIS_URL, testNamespace, waitFor } from '../center/ingest/test-fixtures.js';
import { NoopMetricsWriter } from '../center/metrics/points.js';
import { OutboxDrainer } from './outbox-drainer.js';
import { createQueues, type DispatchKind, type Queues } from './queues.js';
import { slaJobId } from './sla-timers.js';
import { startVerificationWorker, verifyJobId } from './verification-timer.js';
import { verificationKpis } from './kpi.js';
import { verifySignature } from './webhook.js';
import { IllegalTransitionError, type WorkOrder } from './work-order.js';
import { RedisWorkOrderStore, StaleStateError } from './work-order-store.js';
import { OrderNotFoundError, Workflow } from './workflow.js';

const DEVICE = 'pole-0001';
const SOUTH_CAM = 'cam-south';
const HOOK_SECRET = 'team-hook-secret-0001';
const MIN = 60_000;
const silent = pino({ level: 'silent' });

const ns = testNamespace();
let redis: Redis;
let queues: Queues;
let store: RedisWorkOrderStore;
let config: CenterConfig;
let workflow: Workflow;
let drainer: OutboxDrainer;

function makeConfig(extra: Record<string, unknown> = {}): CenterConfig {
  return centerConfigSchema.parse({
    redisPrefix: ns.prefix,
    rootTopic: ns.root,
    defaultTeam: 'team-north',
    teams: [
      { id: 'team-north', officers: [{ id: 'li' }, { id: 'wang' }] },
      // Only the assignment test sends here, so its officers' loads are its own.
      { id: 'team-south', officers: [{ id: 'off-duty', onDuty: false }, { id: 'an' }, { id: 'bo' }, { id: 'chen' }] },
    ],
    cameras: [{ deviceId: DEVICE, cameraId: SOUTH_CAM, team: 'team-south', location: { lat: 31.3, long: 120.6, address: 'Renmin Rd 1' } }],
    ...extra,
  });
}

/** A camera no other test uses, so de-dup never merges orders of two tests. */
const freshCamera = (): string => `cam-${randomBytes(4).toString('hex')}`;

const ALL_STATES: JobType[] = ['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed', 'waiting-children'];

async function dispatchJobs(orderId: string, kind?: DispatchKind): Promise<Job<DispatchJobData>[]> {
  await drainer.drainOnce();
  const jobs = (await queues.dispatch.getJobs(ALL_STATES)) as Job<DispatchJobData>[];
  // getJobs may list a job once per state list it scanned; ids are unique per job.
  const byId = new Map(jobs.filter((j) => j && j.data.orderId === orderId && (kind === undefined || j.data.kind === kind)).map((j) => [j.id, j]));
  return [...byId.values()];
}

async function slaJob(orderId: string, level: 'yellow' | 'red') {
  await drainer.drainOnce();
  return queues.sla.getJob(slaJobId(orderId, level));
}

async function countOrders(cameraId: string): Promise<number> {
  return (await store.list({ deviceId: DEVICE, cameraId }, { offset: 0, limit: 100 })).total;
}

function started(cameraId: string, over: Partial<DetectionMessage> = {}): DetectionMessage {
  return detection(DEVICE, cameraId, { evidence: [evidenceRef(fakeJpeg())], ...over });
}

function followUp(first: DetectionMessage, state: 'updated' | 'ended', seq: number, over: Partial<DetectionMessage> = {}): DetectionMessage {
  return { ...first, state, seq, sentAt: new Date().toISOString(), evidence: [], ...over };
}

function ended(first: DetectionMessage, seq: number, reason: NonNullable<DetectionMessage['reason']>): DetectionMessage {
  const at = new Date().toISOString();
  return followUp(first, 'ended', seq, { endedAt: at, reason, stayedSeconds: 300 });
}

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queues = createQueues(redis, ns.prefix);
  store = new RedisWorkOrderStore(redis, ns.prefix);
  config = makeConfig();
  workflow = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger: silent });
  drainer = new OutboxDrainer({ redis, prefix: ns.prefix, queues, consumer: 'workflow-test', logger: silent });
});

afterAll(async () => {
  await drainer.close();
  await Promise.all([queues.detections.obliterate({ force: true }), queues.dispatch.obliterate({ force: true }), queues.sla.obliterate({ force: true }), queues.verify.obliterate({ force: true })]);
  await queues.close();
  await deleteKeys(redis, ns.prefix);
  expect(await redis.keys(`${ns.prefix}*`)).toEqual([]);
  await redis.quit();
});

describe('a confident detection', () => {
  it('opens a dispatched order with SLA timers at discovery + 20 / 40 min and one order notice', async () => {
    const cam = freshCamera();
    const discoveredAt = Date.now() - 3 * MIN;
    const d = started(cam, { discoveredAt: new Date(discoveredAt).toISOString(), confidence: 0.83 });
    const order = (await workflow.onDetection(d))!;

    expect(order.state).toBe('dispatched');
    expect(order.team).toBe('team-north');
    expect(order.assignee).toBe('li');
    expect(order.eventIds).toEqual([d.eventId]);
    expect(order.evidence.map((e) => e.evidenceId)).toEqual(d.evidence.map((e) => e.evidenceId));
    expect(order.deadlineAt).toBe(new Date(discoveredAt + 40 * MIN).toISOString());
    expect(order.audit).toEqual([expect.objectContaining({ by: 'system', from: null, to: 'dispatched' })]);
    expect(await store.get(order.id)).toEqual(order);
    expect(await store.findByEvent(d.eventId)).toEqual(order);

    const yellow = (await slaJob(order.id, 'yellow'))!;
    const red = (await slaJob(order.id, 'red'))!;
    expect(await yellow.getState()).toBe('delayed');
    expect(await red.getState()).toBe('delayed');
    expect(yellow.data).toEqual({ orderId: order.id, level: 'yellow' });
    expect(red.data).toEqual({ orderId: order.id, level: 'red' });
    // Due times: the job's creation plus its delay, against discovery + 20 / 40 min.
    expect(Math.abs(yellow.timestamp + yellow.delay - (discoveredAt + 20 * MIN))).toBeLessThan(1000);
    expect(Math.abs(red.timestamp + red.delay - (discoveredAt + 40 * MIN))).toBeLessThan(1000);

    const jobs = await dispatchJobs(order.id);
    expect(jobs.map((j) => j.id)).toEqual([`${order.id}-team-order-1`]);
    expect(jobs[0].data).toEqual({ orderId: order.id, kind: 'order', audience: 'team', team: 'team-north', seq: '1' });
  });

  it('goes to the on-duty officer with the fewest open orders, and the camera team and location apply', async () => {
    // Disjoint boxes at one camera: separate orders. Ties go to roster order; the off-duty officer never gets one.
    const opened: WorkOrder[] = [];
    for (let i = 0; i < 4; i++) {
      const o = await workflow.onDetection(started(SOUTH_CAM, { bbox: { x1: 0.2 * i, y1: 0.1, x2: 0.2 * i + 0.1, y2: 0.2 } }));
      opened.push(o!);
    }
    expect(new Set(opened.map((o) => o.id)).size).toBe(4);
    expect(opened.map((o) => o.assignee)).toEqual(['an', 'bo', 'chen', 'an']);
    expect(opened.every((o) => o.team === 'team-south' && o.state === 'dispatched')).toBe(true);
    expect(opened[0].location).toEqual({ lat: 31.3, long: 120.6, address: 'Renmin Rd 1' });
    expect(Object.fromEntries(await store.openCountByAssignee('team-south'))).toEqual({ an: 2, bo: 1, chen: 1 });

    // bo's order closes: bo now has the fewest open, so bo gets the next one.
    await workflow.transition(opened[1].id, 'cancelled', { name: 'op-zhang' }, 'duplicate call');
    expect((await store.get(opened[1].id))!.state).toBe('cancelled');
    expect(Object.fromEntries(await store.openCountByAssignee('team-south'))).toEqual({ an: 2, bo: 0, chen: 1 });
    const next = await workflow.onDetection(started(SOUTH_CAM, { bbox: { x1: 0.85, y1: 0.8, x2: 0.95, y2: 0.9 } }));
    expect(next!.assignee).toBe('bo');
  });
});

describe('a detection below the auto-confirm threshold', () => {
  it('waits for review with its SLA running, and is dispatched only when an operator confirms', async () => {
    const cam = freshCamera();
    const d = started(cam, { confidence: 0.41 });
    const order = (await workflow.onDetection(d))!;
    expect(order.state).toBe('pending_review');
    expect(order.assignee).toBeNull();
    // The clock runs from discovery, review or not.
    expect(await (await slaJob(order.id, 'yellow'))!.getState()).toBe('delayed');
    expect(await (await slaJob(order.id, 'red'))!.getState()).toBe('delayed');
    expect(await dispatchJobs(order.id)).toEqual([]);

    // More photos while it waits for review reach nobody: the officers have not been told of it.
    await workflow.onDetection(followUp(d, 'updated', 1, { evidence: [evidenceRef(fakeJpeg())] }));
    expect((await store.get(order.id))!.evidence).toHaveLength(2);
    expect(await dispatchJobs(order.id)).toEqual([]);

    const confirmed = await workflow.confirm(order.id, { name: 'op-zhang' });
    expect(confirmed.state).toBe('dispatched');
    expect(confirmed.assignee).toMatch(/^(li|wang)$/);
    expect(confirmed.audit.at(-1)).toMatchObject({ by: 'op-zhang', from: 'pending_review', to: 'dispatched', note: 'confirmed by operator' });
    expect((await store.get(order.id))!.state).toBe('dispatched');
    const jobs = await dispatchJobs(order.id);
    expect(jobs.map((j) => j.id)).toEqual([`${order.id}-team-order-1`]);
    expect(jobs[0].data.kind).toBe('order');

    // A second operator confirming the same order loses the race: a 409-type error, nothing re-sent.
    const err = await workflow.confirm(order.id, { name: 'op-li' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleStateError);
    expect((err as StaleStateError).code).toMatch(/STALE|ILLEGAL/);
    expect((await store.get(order.id))!.audit.filter((a) => a.to === 'dispatched')).toHaveLength(1);
    expect(await dispatchJobs(order.id)).toHaveLength(1);
  });

  it('rejected with a reason: stored, closed, SLA timers removed, nothing dispatched', async () => {
    const d = started(freshCamera(), { confidence: 0.3 });
    const order = (await workflow.onDetection(d))!;
    expect(order.state).toBe('pending_review');
    expect(await slaJob(order.id, 'yellow')).toBeDefined();

    const rejected = await workflow.reject(order.id, { name: 'op-zhang' }, 'not_a_violation', 'delivery van loading');
    expect(rejected.state).toBe('rejected');
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('rejected');
    expect(stored.rejection).toEqual({ reason: 'not_a_violation', note: 'delivery van loading' });
    expect(stored.audit.at(-1)).toMatchObject({ by: 'op-zhang', from: 'pending_review', to: 'rejected', note: 'delivery van loading' });
    expect(await slaJob(order.id, 'yellow')).toBeUndefined();
    expect(await slaJob(order.id, 'red')).toBeUndefined();
    expect(await dispatchJobs(order.id)).toEqual([]);

    // Rejecting again, or confirming after the rejection, is refused.
    await expect(workflow.reject(order.id, { name: 'op-li' }, 'duplicate')).rejects.toBeInstanceOf(StaleStateError);
    await expect(workflow.confirm(order.id, { name: 'op-li' })).rejects.toMatchObject({ code: expect.stringMatching(/STALE|ILLEGAL/) });
    // A late message of the rejected event neither reopens it nor opens a new order.
    const late = await workflow.onDetection(followUp(d, 'updated', 1, { evidence: [evidenceRef(fakeJpeg())] }));
    expect(late!.id).toBe(order.id);
    expect(late!.state).toBe('rejected');
    expect(await countOrders(d.cameraId)).toBe(1);
    expect(await dispatchJobs(order.id)).toEqual([]);
  });
});

describe('redelivered and follow-up detections', () => {
  it('the same detection processed twice (a retried job) leaves one order and one order notice', async () => {
    const d = started(freshCamera());
    const first = (await workflow.onDetection(d))!;
    const again = (await workflow.onDetection(structuredClone(d)))!;
    expect(again.id).toBe(first.id);
    expect(again).toEqual(first);
    expect(await countOrders(d.cameraId)).toBe(1);
    expect((await dispatchJobs(first.id, 'order')).map((j) => j.id)).toEqual([`${first.id}-team-order-1`]);
    // Its photos were in the order notice already: the retry sends no update either.
    expect(await dispatchJobs(first.id)).toHaveLength(1);
    expect((await store.get(first.id))!.evidence).toHaveLength(1);
  });

  it('a job whose first run died right after writing the order: its timers and order notice were committed with it, and the retry adds none', async () => {
    /** The real store, but the process "dies" the moment the order is committed. */
    class DyingStore extends RedisWorkOrderStore {
      override async openOrMerge(input: Parameters<RedisWorkOrderStore['openOrMerge']>[0]): ReturnType<RedisWorkOrderStore['openOrMerge']> {
        await super.openOrMerge(input);
        throw new Error('worker killed');
      }
    }
    const dying = new Workflow({ config, store: new DyingStore(redis, ns.prefix), metrics: new NoopMetricsWriter(), logger: silent });
    const d = started(freshCamera());
    await expect(dying.onDetection(d)).rejects.toThrow('worker killed');
    const written = (await store.findByEvent(d.eventId))!;
    expect(written.state).toBe('dispatched');
    expect((await dispatchJobs(written.id)).map((j) => j.id)).toEqual([`${written.id}-team-order-1`]);
    expect(await (await slaJob(written.id, 'red'))!.getState()).toBe('delayed');

    // BullMQ hands the stalled job to another worker: same message, normal workflow.
    const order = (await workflow.onDetection(d))!;
    expect(order.id).toBe(written.id);
    expect(await countOrders(d.cameraId)).toBe(1);
    expect((await dispatchJobs(order.id)).map((j) => j.id)).toEqual([`${order.id}-team-order-1`]);
    expect(await (await slaJob(order.id, 'yellow'))!.getState()).toBe('delayed');
    expect(await (await slaJob(order.id, 'red'))!.getState()).toBe('delayed');
  });

  it('an update with new evidence attaches it and sends one update per message, however often it is processed', async () => {
    const d = started(freshCamera());
    const order = (await workflow.onDetection(d))!;
    const photo = evidenceRef(fakeJpeg(), ulid(), 'plate');
    const upd1 = followUp(d, 'updated', 1, { evidence: [photo], confidence: 0.9 });

    const merged = (await workflow.onDetection(upd1))!;
    await workflow.onDetection(structuredClone(upd1));
    expect(merged.id).toBe(order.id);
    const stored = (await store.get(order.id))!;
    expect(stored.evidence.map((e) => e.evidenceId)).toEqual([d.evidence[0].evidenceId, photo.evidenceId]);
    expect(stored.confidence).toBe(0.9);
    expect(await countOrders(d.cameraId)).toBe(1);

    let updates = await dispatchJobs(order.id, 'update');
    expect(updates.map((j) => j.id)).toEqual([`${order.id}-team-update-${d.eventId}-1`]);
    expect(updates[0].data).toMatchObject({ orderId: order.id, kind: 'update', audience: 'team', seq: `${d.eventId}-1` });

    // A second updated message (the second timed photo) is a second update.
    const upd2 = followUp(d, 'updated', 2, { evidence: [evidenceRef(fakeJpeg())] });
    await workflow.onDetection(upd2);
    await workflow.onDetection(upd2);
    updates = await dispatchJobs(order.id, 'update');
    expect(updates.map((j) => j.id).sort()).toEqual([`${order.id}-team-update-${d.eventId}-1`, `${order.id}-team-update-${d.eventId}-2`].sort());
    expect((await store.get(order.id))!.evidence).toHaveLength(3);
    expect(await dispatchJobs(order.id, 'order')).toHaveLength(1);

    // An updated message without photos changes the order but notifies nobody.
    await workflow.onDetection(followUp(d, 'updated', 3, { confidence: 0.95 }));
    expect(await dispatchJobs(order.id, 'update')).toHaveLength(2);

    // Another edge event over the same box (re-tracked car) merges in; its first photos are news.
    const retracked = started(d.cameraId, { bbox: d.bbox });
    expect((await workflow.onDetection(retracked))!.id).toBe(order.id);
    await workflow.onDetection(retracked);
    expect((await store.get(order.id))!.eventIds).toEqual([d.eventId, retracked.eventId]);
    expect(await countOrders(d.cameraId)).toBe(1);
    expect((await dispatchJobs(order.id, 'update')).map((j) => j.id)).toContain(`${order.id}-team-update-${retracked.eventId}-0`);
    expect(await dispatchJobs(order.id, 'update')).toHaveLength(3);
    expect(await dispatchJobs(order.id, 'order')).toHaveLength(1);
  });
});

describe('the edge says the problem ended', () => {
  it('`left` before anyone handled it: self_cleared by the edge, stand-down sent, SLA timers removed', async () => {
    const d = started(freshCamera());
    const order = (await workflow.onDetection(d))!;
    await workflow.transition(order.id, 'accepted', { name: 'li' });
    const end = ended(d, 2, 'left');

    const cleared = (await workflow.onDetection(end))!;
    expect(cleared.state).toBe('self_cleared');
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('self_cleared');
    expect(stored.edgeEnded).toEqual({ reason: 'left', at: end.endedAt });
    expect(stored.audit.at(-1)).toMatchObject({ by: 'edge', from: 'accepted', to: 'self_cleared' });
    expect(stored.audit.at(-1)!.note).toContain(end.endedAt!);
    expect(await slaJob(order.id, 'yellow')).toBeUndefined();
    expect(await slaJob(order.id, 'red')).toBeUndefined();
    const stand = await dispatchJobs(order.id, 'stand_down');
    expect(stand.map((j) => j.id)).toEqual([`${order.id}-team-stand_down-1`]);
    expect(stand[0].data.note).toContain(end.endedAt!);

    // Redelivered: the order is closed, nothing more happens.
    expect(await workflow.onDetection(end)).toBeNull();
    expect(await dispatchJobs(order.id, 'stand_down')).toHaveLength(1);
    expect(await dispatchJobs(order.id, 'update')).toHaveLength(0);
    expect((await store.get(order.id))!.audit).toHaveLength(3);
  });

  it('`left` while still in review: self_cleared, but no stand-down for officers who never heard of it', async () => {
    const d = started(freshCamera(), { confidence: 0.2 });
    const order = (await workflow.onDetection(d))!;
    expect(order.state).toBe('pending_review');
    await workflow.onDetection(ended(d, 1, 'left'));
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('self_cleared');
    expect(stored.audit.at(-1)).toMatchObject({ by: 'edge', from: 'pending_review', to: 'self_cleared' });
    expect(await dispatchJobs(order.id)).toEqual([]);
    expect(await slaJob(order.id, 'red')).toBeUndefined();
  });

  it('`left` while the officer is on site: stays on_site, the officer gets an update note', async () => {
    const d = started(freshCamera());
    const order = (await workflow.onDetection(d))!;
    await workflow.transition(order.id, 'accepted', { name: 'li' });
    await workflow.transition(order.id, 'on_site', { name: 'li' });
    const end = ended(d, 1, 'left');

    const after = (await workflow.onDetection(end))!;
    await workflow.onDetection(end); // redelivered
    expect(after.state).toBe('on_site');
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('on_site');
    expect(stored.edgeEnded).toEqual({ reason: 'left', at: end.endedAt });
    expect(stored.audit.map((a) => a.to)).toEqual(['dispatched', 'accepted', 'on_site']);
    const updates = await dispatchJobs(order.id, 'update');
    expect(updates.map((j) => j.id)).toEqual([`${order.id}-team-update-${d.eventId}-1`]);
    expect(updates[0].data.note).toMatch(/leave while the officer is on site/);
    expect(await dispatchJobs(order.id, 'stand_down')).toEqual([]);
    // Still open: the timers keep running until the officer resolves it.
    expect(await slaJob(order.id, 'red')).toBeDefined();
  });

  for (const reason of ['camera_lost', 'source_ended'] as const) {
    it(`\`${reason}\`: the order stays open, the edge's word is recorded and the team told so`, async () => {
      const d = started(freshCamera());
      const order = (await workflow.onDetection(d))!;
      const end = ended(d, 1, reason);

      const after = (await workflow.onDetection(end))!;
      await workflow.onDetection(end); // redelivered
      expect(after.state).toBe('dispatched');
      const stored = (await store.get(order.id))!;
      expect(stored.state).toBe('dispatched');
      expect(stored.edgeEnded).toEqual({ reason, at: end.endedAt });
      expect(stored.audit).toHaveLength(1);
      expect(await store.findByEvent(d.eventId)).not.toBeNull();
      const updates = await dispatchJobs(order.id, 'update');
      expect(updates.map((j) => j.id)).toEqual([`${order.id}-team-update-${d.eventId}-1`]);
      expect(updates[0].data.note).toContain(reason);
      expect(updates[0].data.note).toMatch(/stays open/);
      expect(await dispatchJobs(order.id, 'stand_down')).toEqual([]);
      expect(await slaJob(order.id, 'yellow')).toBeDefined();
      expect(await slaJob(order.id, 'red')).toBeDefined();
    });
  }

  it('`camera_lost` while still in review: recorded, but nothing goes to the team yet', async () => {
    const d = started(freshCamera(), { confidence: 0.2 });
    const order = (await workflow.onDetection(d))!;
    await workflow.onDetection(ended(d, 1, 'camera_lost'));
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('pending_review');
    expect(stored.edgeEnded?.reason).toBe('camera_lost');
    expect(await dispatchJobs(order.id)).toEqual([]);
  });

  it('an end for an event without an order does nothing', async () => {
    const d = started(freshCamera());
    expect(await workflow.onDetection(ended(d, 3, 'left'))).toBeNull();
    expect(await countOrders(d.cameraId)).toBe(0);
  });
});

describe('officer transitions', () => {
  it('dispatched → accepted → on_site → resolved, timed and audited; the timers stop at resolve', async () => {
    const order = (await workflow.onDetection(started(freshCamera())))!;
    const officer = { name: 'li' };
    const accepted = await workflow.transition(order.id, 'accepted', officer);
    const onSite = await workflow.transition(order.id, 'on_site', officer, 'at the kerb');
    expect(accepted.state).toBe('accepted');
    expect(onSite.state).toBe('on_site');
    expect(await slaJob(order.id, 'red')).toBeDefined();
    const resolved = await workflow.transition(order.id, 'resolved', officer, 'ticket issued');

    const stored = (await store.get(order.id))!;
    expect(stored).toEqual(resolved);
    expect(stored.state).toBe('resolved');
    expect(stored.audit.map((a) => [a.by, a.from, a.to])).toEqual([
      ['system', null, 'dispatched'],
      ['li', 'dispatched', 'accepted'],
      ['li', 'accepted', 'on_site'],
      ['li', 'on_site', 'resolved'],
    ]);
    expect(stored.audit[2].note).toBe('at the kerb');
    expect(stored.audit[3].note).toBe('ticket issued');
    expect(Object.keys(stored.stateTimes).sort()).toEqual(['accepted', 'dispatched', 'on_site', 'resolved']);
    expect(await slaJob(order.id, 'yellow')).toBeUndefined();
    expect(await slaJob(order.id, 'red')).toBeUndefined();
    expect(await store.findByEvent(order.eventIds[0])).toBeNull();
    expect(await dispatchJobs(order.id, 'stand_down')).toEqual([]);
  });

  it('refuses illegal moves with IllegalTransitionError and leaves the order as it was', async () => {
    const order = (await workflow.onDetection(started(freshCamera())))!;
    const officer = { name: 'wang' };
    for (const to of ['on_site', 'resolved', 'pending_review', 'rejected'] as const) {
      const err = await workflow.transition(order.id, to, officer).catch((e: unknown) => e);
      expect(err, `dispatched → ${to}`).toBeInstanceOf(IllegalTransitionError);
      expect((err as IllegalTransitionError).code).toBe('ILLEGAL_TRANSITION');
    }
    expect(await store.get(order.id)).toEqual(order);

    await workflow.transition(order.id, 'accepted', officer);
    await expect(workflow.transition(order.id, 'resolved', officer)).rejects.toBeInstanceOf(IllegalTransitionError);
    await workflow.transition(order.id, 'on_site', officer);
    await workflow.transition(order.id, 'resolved', officer);
    for (const to of ['accepted', 'on_site', 'cancelled', 'self_cleared', 'dispatched'] as const) {
      await expect(workflow.transition(order.id, to, officer), `resolved → ${to}`).rejects.toBeInstanceOf(IllegalTransitionError);
    }
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('resolved');
    expect(stored.audit).toHaveLength(4);

    const pending = (await workflow.onDetection(started(freshCamera(), { confidence: 0.1 })))!;
    await expect(workflow.transition(pending.id, 'accepted', officer)).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(workflow.transition(`01${'Z'.repeat(24)}`, 'accepted', officer)).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('cancelling a dispatched order tells the team to stand down and stops the timers', async () => {
    const order = (await workflow.onDetection(started(freshCamera())))!;
    await workflow.transition(order.id, 'cancelled', { name: 'op-zhang' }, 'wrong address');
    expect((await store.get(order.id))!.state).toBe('cancelled');
    const stand = await dispatchJobs(order.id, 'stand_down');
    expect(stand.map((j) => j.id)).toEqual([`${order.id}-team-stand_down-1`]);
    expect(stand[0].data.note).toBe('wrong address');
    expect(await slaJob(order.id, 'yellow')).toBeUndefined();
    expect(await slaJob(order.id, 'red')).toBeUndefined();
  });
});

describe('delivery', () => {
  it('the order and the edge-ended note reach the team webhook signed, once each', async () => {
    const hits: Array<{ headers: IncomingHttpHeaders; raw: Buffer; body: { kind: string; note?: string; order: WorkOrder } }> = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        hits.push({ headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    const client = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 5, clientId: `${ns.id}-wf` });
    const hooked = makeConfig({ teams: [{ id: 'team-north', officers: [{ id: 'li' }], webhook: { url, secret: HOOK_SECRET } }, config.teams[1]] });
    const dispatcher = startDispatcher({ connection: redis, prefix: ns.prefix, store, config: hooked, mqtt: client, logger: silent, backoff: { baseDelayMs: 100, maxDelayMs: 500 } });
    try {
      await dispatcher.worker.waitUntilReady();
      const d = started(freshCamera());
      const order = (await workflow.onDetection(d))!;
      await workflow.onDetection(d);
      await drainer.drainOnce();
      const end = ended(d, 1, 'camera_lost');
      await workflow.onDetection(end);
      await workflow.onDetection(end);
      await drainer.drainOnce();

      const mine = () => hits.filter((h) => h.body.order.id === order.id);
      await waitFor(() => mine().length >= 2, 'order and update delivered', 10_000);
      await new Promise((r) => setTimeout(r, 500)); // room for a stray duplicate to show up
      const got = mine();
      expect(got.map((h) => h.body.kind)).toEqual(['order', 'update']);
      for (const h of got) expect(verifySignature(HOOK_SECRET, h.raw, h.headers['x-streetwatch-signature'])).toBe(true);
      expect(got.map((h) => h.headers['idempotency-key'])).toEqual([`${order.id}:order:1`, `${order.id}:update:${d.eventId}-1`]);
      expect(got[1].body.note).toContain('camera_lost');
      expect(got[1].body.order.edgeEnded).toEqual({ reason: 'camera_lost', at: end.endedAt });
    } finally {
      await dispatcher.close();
      await client.endAsync();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('reassignment by a supervisor', () => {
  it('hands a dispatched order to another team\'s least-loaded officer on duty and sends it to them; one waiting for review is sent nothing', async () => {
    const order = (await workflow.onDetection(started(freshCamera(), { confidence: 0.83 })))!;
    expect(order.team).toBe('team-north');
    const moved = await workflow.reassign(order.id, { team: 'team-south' }, { name: 'sup-wu' }, 'north is short-handed');
    expect(moved.team).toBe('team-south');
    expect(['an', 'bo', 'chen']).toContain(moved.assignee);
    expect(moved.audit.at(-1)).toMatchObject({ by: 'sup-wu', from: 'dispatched', to: 'dispatched', note: `reassigned from team-north/${order.assignee} to team-south/${moved.assignee}: north is short-handed` });
    const jobs = await dispatchJobs(order.id, 'order');
    expect(jobs.map((j) => j.id).sort()).toEqual([`${order.id}-team-order-1`, `${order.id}-team-order-reassigned-2`]);

    const pending = (await workflow.onDetection(started(freshCamera(), { confidence: 0.41 })))!;
    const waiting = await workflow.reassign(pending.id, { team: 'team-south' }, { name: 'sup-wu' });
    expect(waiting).toMatchObject({ state: 'pending_review', team: 'team-south', assignee: null });
    expect(await dispatchJobs(pending.id)).toEqual([]);
  });

  it('refuses a reassignment or confirm whose commit finds the team or state it decided on changed meanwhile', async () => {
    const pending = (await workflow.onDetection(started(freshCamera(), { confidence: 0.41 })))!;
    expect(pending.team).toBe('team-north');
    // As if another supervisor moved it to team-south after this action read it.
    await expect(store.reassign(pending.id, { team: 'team-south', assignee: null }, 'sup-wu', { expectTeam: 'team-south' })).rejects.toMatchObject({ code: 'STALE_TEAM' });
    // As if an operator confirmed it after this reassignment decided it was still waiting for review.
    await expect(store.reassign(pending.id, { team: 'team-south', assignee: 'an' }, 'sup-wu', { expectFrom: 'dispatched' })).rejects.toMatchObject({ code: 'STALE_STATE' });
    await expect(store.transition(pending.id, 'dispatched', 'op-li', { expectFrom: 'pending_review', expectTeam: 'team-south', assignee: 'an' })).rejects.toMatchObject({ code: 'STALE_TEAM' });
    expect(await store.get(pending.id)).toMatchObject({ state: 'pending_review', team: 'team-north', assignee: null });
    expect(await dispatchJobs(pending.id)).toEqual([]);
  });
});

describe('unable to handle', () => {
  it('tells the supervisor why, keeps the order open, and a reassignment dispatches it to the officer picked', async () => {
    const order = (await workflow.onDetection(started(freshCamera(), { confidence: 0.83 })))!;
    await workflow.transition(order.id, 'accepted', { name: 'li' });
    const unable = await workflow.unable(order.id, { name: 'li' }, 'needs_tow_truck', 'lorry');
    expect(unable).toMatchObject({ state: 'unable', unable: { reason: 'needs_tow_truck', note: 'lorry', by: 'li' } });
    expect((await dispatchJobs(order.id, 'update')).map((j) => j.id)).toEqual([`${order.id}-supervisor-update-unable-3`]);
    expect((await store.list({ state: ['unable'] }, { offset: 0, limit: 200 })).items.map((o) => o.id)).toContain(order.id);

    const again = await workflow.reassign(order.id, { team: order.team }, { name: 'sup-wu' });
    expect(again.state).toBe('dispatched');
    expect(again.audit.at(-1)).toMatchObject({ by: 'sup-wu', from: 'unable', to: 'dispatched' });
    expect((await dispatchJobs(order.id, 'order')).map((j) => j.id).sort()).toEqual([`${order.id}-team-order-1`, `${order.id}-team-order-reassigned-4`]);
  });
});

describe('camera-verified closure', () => {
  const officer = { name: 'li' };
  async function resolvedOrder(d: DetectionMessage, wf = workflow, beforeResolve?: () => Promise<unknown>): Promise<WorkOrder> {
    const order = (await wf.onDetection(d))!;
    await wf.transition(order.id, 'accepted', officer);
    await wf.transition(order.id, 'on_site', officer);
    await beforeResolve?.();
    return wf.transition(order.id, 'resolved', officer, 'ticket issued');
  }

  async function verifyJob(order: WorkOrder) {
    await drainer.drainOnce();
    return queues.verify.getJob(verifyJobId(order.id, String(order.audit.length)));
  }

  it('resolved, then the edge sees it leave: verified by the camera, nothing reopened', async () => {
    const d = started(freshCamera());
    const resolved = await resolvedOrder(d);
    expect(resolved.state).toBe('resolved');
    const until = resolved.verification!.until;
    expect(resolved.verification).toEqual({ status: 'waiting', until });
    expect(Date.parse(until) - Date.parse(resolved.stateTimes.resolved!)).toBe(config.verification.windowSeconds * 1000);
    // The timer waits for the window's end; the SLA timers stopped at the resolve.
    const job = (await verifyJob(resolved))!;
    expect(job.data).toEqual({ orderId: resolved.id, until });
    expect(await job.getState()).toBe('delayed');
    expect(await slaJob(resolved.id, 'red')).toBeUndefined();

    const end = ended(d, 3, 'left');
    const verified = (await workflow.onDetection(end))!;
    expect(verified.state).toBe('verified');
    const stored = (await store.get(resolved.id))!;
    expect(stored).toEqual(verified);
    expect(stored.audit.slice(-2).map((a) => [a.by, a.from, a.to])).toEqual([['li', 'on_site', 'resolved'], ['edge', 'resolved', 'verified']]);
    expect(stored.verification).toMatchObject({ status: 'verified', until });
    expect(stored.edgeEnded).toEqual({ reason: 'left', at: end.endedAt });

    // Redelivered end, then the timer firing late: nothing changes, nobody is told.
    expect(await workflow.onDetection(end)).toBeNull();
    expect(await workflow.verificationDue(resolved.id, until)).toBe('settled');
    expect(await store.get(resolved.id)).toEqual(stored);
    expect(await dispatchJobs(resolved.id, 'reopened')).toEqual([]);
    expect(await dispatchJobs(resolved.id, 'stand_down')).toEqual([]);
  });

  it('the edge saw it leave while the officer was on site: the resolve is verified at once, no timer', async () => {
    const d = started(freshCamera());
    const resolved = await resolvedOrder(d, workflow, () => workflow.onDetection(ended(d, 2, 'left')));
    expect(resolved.state).toBe('verified');
    expect((await store.get(resolved.id))!.audit.map((a) => a.to)).toEqual(['dispatched', 'accepted', 'on_site', 'resolved', 'verified']);
    expect(await verifyJob(resolved)).toBeUndefined();
    await drainer.drainOnce();
    expect(await queues.verify.getJob(verifyJobId(resolved.id, String(resolved.audit.length - 1)))).toBeUndefined();
  });

  it('left while on site, then seen again (a new event merged): the resolve waits for the camera instead', async () => {
    const d = started(freshCamera());
    const resolved = await resolvedOrder(d, workflow, async () => {
      await workflow.onDetection(ended(d, 2, 'left'));
      await workflow.onDetection(started(d.cameraId, { bbox: d.bbox }));
    });
    expect(resolved.state).toBe('resolved');
    expect(resolved.eventIds).toHaveLength(2);
    expect(resolved.edgeEnded).toBeNull();
    expect(resolved.verification?.status).toBe('waiting');
  });

  it('the edge stopped watching (camera_lost) after the resolve: stays resolved, unverified, noted; the timer then changes nothing', async () => {
    const d = started(freshCamera());
    const resolved = await resolvedOrder(d);
    await workflow.onDetection(ended(d, 3, 'camera_lost'));
    const stored = (await store.get(resolved.id))!;
    expect(stored.state).toBe('resolved');
    expect(stored.verification).toMatchObject({ status: 'unverified', until: resolved.verification!.until });
    expect(stored.verification!.note).toMatch(/camera_lost/);
    expect(await workflow.verificationDue(resolved.id, resolved.verification!.until)).toBe('settled');
    expect((await store.get(resolved.id))!.state).toBe('resolved');
    expect(await dispatchJobs(resolved.id, 'reopened')).toEqual([]);
  });

  it('left before the officer arrived: self_cleared as before, never waiting for the camera', async () => {
    const d = started(freshCamera());
    const order = (await workflow.onDetection(d))!;
    await workflow.onDetection(ended(d, 2, 'left'));
    const stored = (await store.get(order.id))!;
    expect(stored.state).toBe('self_cleared');
    expect(stored.verification).toBeUndefined();
  });

  it('still there when the window ends: the timer reopens it for the same officer, team and supervisor told, SLA timers back', async () => {
    // A one-second window and the real timer worker: the test waits for the reopen, however slow the machine.
    const quick = new Workflow({ config: makeConfig({ verification: { windowSeconds: 1 } }), store, metrics: new NoopMetricsWriter(), logger: silent });
    const timer = startVerificationWorker({ connection: redis, prefix: ns.prefix, workflow: quick, logger: silent });
    try {
      const d = started(freshCamera());
      const resolved = await resolvedOrder(d, quick);
      expect(resolved.verification!.status).toBe('waiting');
      await drainer.drainOnce();
      const reopened = await waitFor(async () => {
        const o = (await store.get(resolved.id))!;
        return o.state === 'dispatched' ? o : null;
      }, 'the verification timer to reopen the order', 60_000);
      expect(reopened).toMatchObject({ team: resolved.team, assignee: resolved.assignee });
      expect(reopened.audit.at(-1)).toMatchObject({ by: 'edge', from: 'resolved', to: 'dispatched' });
      expect(reopened.audit.at(-1)!.note).toMatch(/^still there after resolve/);
      expect(reopened.verification).toMatchObject({ status: 'reopened', until: resolved.verification!.until });

      const seq = String(reopened.audit.length);
      const notices = await dispatchJobs(resolved.id, 'reopened');
      expect(notices.map((j) => j.id).sort()).toEqual([`${resolved.id}-supervisor-reopened-${seq}`, `${resolved.id}-team-reopened-${seq}`]);
      expect(notices[0].data.note).toMatch(/^still there after resolve/);
      expect(await slaJob(resolved.id, 'red')).toBeDefined();
      expect(verificationKpis([reopened])).toEqual({ verified: 0, resolvedByOfficer: 1, reopened: 1, reopenRate: 1 });

      // The same timer again (a retried job) does nothing more.
      expect(await quick.verificationDue(resolved.id, resolved.verification!.until)).toBe('settled');
      expect((await store.get(resolved.id))!.audit).toHaveLength(reopened.audit.length);

      // It is an open order again: the officer handles it, and this time the camera sees it go.
      await quick.transition(resolved.id, 'accepted', officer);
      await quick.transition(resolved.id, 'on_site', officer);
      const again = await quick.transition(resolved.id, 'resolved', officer);
      expect(again.verification).toMatchObject({ status: 'waiting' });
      expect((await quick.onDetection(ended(d, 4, 'left')))!.state).toBe('verified');
    } finally {
      await timer.close();
    }
  });
});
