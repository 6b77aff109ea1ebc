/**
 * Work orders in Redis. Every write is read → decide in pure TypeScript → guarded commit
 * (lua/commit.ts): the commit lands only if what was read is unchanged, otherwise the write is
 * decided again on fresh data. That makes de-dup and transitions race-free across any number of
 * connections and centre instances, while the rules stay in dedupe.ts / work-order.ts.
 *
 * Keys (all start with the prefix, a hash tag such as `{sw}`, so Redis Cluster keeps them in one slot):
 *   <p>:wo:<id>                        order JSON
 *   <p>:wo-idx:all | state:<s> | team:<t> | assignee:<a> | type:<t> | device:<d> | camera:<c> | plate:<PLATE>
 *              | reporter:<user>
 *                                      zsets of order ids scored by discoveredAt (ms): list filters
 *   <p>:wo-open:<dev>/<cam>/<zone>/<type>    zset of the scope's open orders (the de-dup candidates)
 *   <p>:wo-geo:near/<type>             GEO set of the open orders of the type with a location (where reports look)
 *   <p>:wo-geo:reported/<type>         GEO set of the located open orders people reported (where detections look
 *                                      past their camera); a GEOSEARCH reads only the orders within the radius
 *   <p>:wo-openver:<scope>             bumped by every write to an order open in the scope; openOrMerge
 *                                      commits only if it is unchanged (the scope's lock word)
 *   <p>:wo-load:<team>:<assignee>      zset of the officer's open orders; <p>:wo-assignees:<team> set of officers seen
 *   <p>:wo-events                      hash eventId → orderId
 *   <p>:wo-report:<reportId>           orderId of the order holding the report: a resent report finds it
 *   <p>:outbox                         stream of the commits' side effects (outbox.ts)
 * The client must not use ioredis `keyPrefix` (scripts build order keys themselves).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../common/redis.js';
import { monotonicFactory, ulid } from 'ulid';
import { StreetWatchError } from '../common/errors.js';
import { randomPool } from '../common/random-pool.js';
import { createLogger, type Logger } from '../common/logger.js';
import { describeIssues, type OrderEvidenceRef } from '../contract/index.js';
import { appendEvidence, bestMatch, dedupeScope, mergeDetection, normalisePlate } from './dedupe.js';
import { reporterNotices } from './order-effects.js';
import type { LatLong } from './geo.js';
import { buildReportOrder, mergeCameraIntoReport, mergeReport, nearScope, nearestMatch, reportedScope, type NearRule } from './report-orders.js';
import { commitScript } from './lua/commit.js';
import { listScript } from './lua/list.js';
import { runScript } from './lua/script.js';
import { snapshotScript } from './lua/snapshot.js';
import { OUTBOX_FIELD, outboxKey, type OutboxFn } from './outbox.js';
import { ParsedOrders } from './parsed-orders.js';
import type { Assignment, OpenOrderInput, OpenReportInput, OrderFilter, WorkOrderStore } from './store-types.js';
import { applyReassignment, applyTransition, isOpen, workOrderSchema, type OrderState, type SlaLevel, type WorkOrder } from './work-order.js';

/** `expectFrom` no longer holds: someone else acted on the order first (e.g. two operators reviewing). */
export class StaleStateError extends StreetWatchError {
  constructor(
    readonly orderId: string,
    readonly expected: OrderState,
    readonly actual: OrderState,
  ) {
    super('STALE_STATE', `work order ${orderId} is ${actual}, not ${expected}: someone else acted on it first`);
  }
}

/** `expectTeam` no longer holds: the order was reassigned while the action picked its officer. */
export class StaleTeamError extends StreetWatchError {
  constructor(orderId: string, expected: string, actual: string) {
    super('STALE_TEAM', `work order ${orderId} is now with ${actual}, not ${expected}: someone reassigned it first`);
  }
}

/** What an action read and decided on must still hold in the commit, or it refuses. */
function checkExpected(o: WorkOrder, expect: { expectFrom?: OrderState; expectTeam?: string }): void {
  if (expect.expectFrom !== undefined && o.state !== expect.expectFrom) throw new StaleStateError(o.id, expect.expectFrom, o.state);
  if (expect.expectTeam !== undefined && o.team !== expect.expectTeam) throw new StaleTeamError(o.id, expect.expectTeam, o.team);
}

export class OrderNotFoundError extends StreetWatchError {
  constructor(readonly orderId: string) {
    super('ORDER_NOT_FOUND', `no work order ${orderId}`);
  }
}

/** A write lost the race more than `maxAttempts` times (only under extreme contention). */
export class StoreConflictError extends StreetWatchError {
  constructor(what: string, attempts: number) {
    super('STORE_CONFLICT', `${what}: still conflicting after ${attempts} attempts`);
  }
}

/**
 * A stored order that does not read back as a work order: not JSON, or a field the schema refuses
 * (e.g. a deadline in year 10000, written before instants were bounded).
 */
export class UnreadableOrderError extends StreetWatchError {
  constructor(
    readonly orderId: string,
    reason: string,
  ) {
    super('ORDER_UNREADABLE', `work order ${orderId} cannot be read: ${reason}`);
  }
}

export interface RedisWorkOrderStoreOptions {
  /** Clock for transition and update times; defaults to Date.now. */
  now?: () => number;
  /**
   * Commit attempts before StoreConflictError. Each lost attempt means another write landed, so
   * N concurrent writers to one order/scope need at most N attempts.
   */
  maxAttempts?: number;
  /** Where unreadable orders are reported (once each). Default: the `work-orders` logger. */
  logger?: Logger;
}

/** What was read, kept raw: the guard compares the SHA-1 of exactly these bytes. */
interface Read {
  raw: string;
  order: WorkOrder;
}

/**
 * After a lost race, wait a random 0..min(2·attempt, 20) ms: losers that retry in lockstep would
 * mostly lose again (n racers cost ~n² reads); spread out, most find the winner's write on re-read.
 */
/** Every key the store uses (layout in the header comment). */
function keyspace(p: string) {
  return {
    orderPrefix: `${p}:wo:`,
    order: (id: string) => `${p}:wo:${id}`,
    idx: (name: string) => `${p}:wo-idx:${name}`,
    open: (scope: string) => `${p}:wo-open:${scope}`,
    geo: (scope: string) => `${p}:wo-geo:${scope}`,
    openVer: (scope: string) => `${p}:wo-openver:${scope}`,
    loadPrefix: (team: string) => `${p}:wo-load:${team}:`,
    load: (team: string, assignee: string) => `${p}:wo-load:${team}:${assignee}`,
    assignees: (team: string) => `${p}:wo-assignees:${team}`,
    events: `${p}:wo-events`,
    report: (id: string) => `${p}:wo-report:${id}`,
    outbox: outboxKey(p),
    tmp: () => `${p}:wo-tmp:${ulid(undefined, randomPool)}`,
  };
}
type Keyspace = ReturnType<typeof keyspace>;

const backoff = (attempt: number): Promise<void> => new Promise((r) => setTimeout(r, Math.random() * Math.min(2 * attempt, 20)));

const sha1 = (s: string | null): string => (s === null ? '' : createHash('sha1').update(s, 'utf8').digest('hex'));

/** Pure: the order a new detection opens. */
export function buildOrder(input: OpenOrderInput & { assignee: string | null }, id: string): WorkOrder {
  const d = input.detection;
  const state: OrderState = input.confirmed ? 'dispatched' : 'pending_review';
  return {
    id,
    type: d.type,
    state,
    source: 'camera',
    deviceId: d.deviceId,
    cameraId: d.cameraId,
    zoneId: d.zoneId,
    team: input.team,
    assignee: input.assignee,
    location: input.location,
    eventIds: [d.eventId],
    evidence: appendEvidence([], d.evidence),
    bbox: d.bbox,
    label: d.label,
    confidence: d.confidence,
    plate: d.plate ?? null,
    discoveredAt: d.discoveredAt,
    createdAt: input.nowIso,
    updatedAt: input.nowIso,
    deadlineAt: input.deadlineAt,
    stateTimes: { [state]: input.nowIso },
    sla: 'green',
    edgeEnded: null,
    rejection: null,
    reports: [],
    audit: [{ at: input.nowIso, by: 'system', from: null, to: state, note: input.confirmed ? 'confirmed' : 'awaiting review' }],
  };
}

export class RedisWorkOrderStore implements WorkOrderStore {
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly nextId = monotonicFactory(randomPool);
  private readonly k: Keyspace;
  private readonly log: Logger;
  private readonly reportedUnreadable = new Set<string>();
  private readonly parsed = new ParsedOrders();

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    opts: RedisWorkOrderStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxAttempts = opts.maxAttempts ?? 1000;
    this.k = keyspace(prefix);
    this.log = opts.logger ?? createLogger('work-orders');
  }

  async openOrMerge(input: OpenOrderInput): Promise<{ order: WorkOrder; created: boolean }> {
    const d = input.detection;
    const scope = dedupeScope(d);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await backoff(attempt);
      const snap = await this.snapshot(scope, d.eventId, typeof input.assignee === 'function' ? input.team : null);
      // A late message of an event whose order is closed (rejected, resolved, …) must not reopen it.
      if (snap.eventOrder && !isOpen(snap.eventOrder.order.state)) return { order: snap.eventOrder.order, created: false };
      // Merges guard the scope version too (not just their order): every de-dup decision in a
      // scope then commits only on the exact snapshot it was made from, so no two can disagree.
      const versionGuard: [string, string | null] = [this.k.openVer(scope), snap.version];
      const target = bestMatch(snap.open.map((r) => r.order), d, input.dedupeIou, input.plateWindowMs);
      if (target) {
        const cur = snap.open.find((r) => r.order.id === target.id)!;
        const merged = mergeDetection(cur.order, d, input.nowIso);
        if (!merged) return { order: cur.order, created: false };
        if (await this.commit(cur, merged, [versionGuard], input.outbox)) return { order: merged, created: false };
        continue;
      }
      // Nothing at this camera: a problem people reported near it, that no camera saw yet, is this one.
      const reported = input.near && input.location ? await this.snapshot(reportedScope(d.type), '', null, { location: input.location, rule: input.near }) : null;
      const guards: [string, string | null][] = reported ? [versionGuard, [this.k.openVer(reportedScope(d.type)), reported.version]] : [versionGuard];
      const probe = input.location && { type: d.type, location: input.location, atMs: Date.parse(d.discoveredAt), plate: d.plate?.text };
      const near = reported && probe && input.near ? nearestMatch(reported.open.map((r) => r.order).filter((o) => o.deviceId === null), probe, input.near) : null;
      const done = await this.mergeOrOpen(
        near && reported!.open.find((r) => r.order.id === near.id)!,
        (o) => mergeCameraIntoReport(o, d, input.nowIso),
        () => buildOrder({ ...input, assignee: assigneeOf(input.assignee, snap.openCounts) }, this.nextId()),
        guards,
        input.outbox,
      );
      if (done) return done;
    }
    throw new StoreConflictError(`openOrMerge ${scope}`, this.maxAttempts);
  }

  /**
   * A report id seen before (a phone resending after a lost answer) answers the order holding it,
   * whatever became of it: the commit that files a report claims its id, so it is filed once.
   */
  async openReport(input: OpenReportInput): Promise<{ order: WorkOrder; created: boolean }> {
    const scope = nearScope(input.type);
    const probe = { type: input.type, location: input.report.location, atMs: Date.parse(input.report.receivedAt), plate: input.report.plate };
    const reportKey = this.k.report(input.report.id);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await backoff(attempt);
      const filed = await this.orderOfReport(input.report.id);
      if (filed) return { order: filed, created: false };
      const snap = await this.snapshot(scope, '', typeof input.assignee === 'function' ? input.team : null, probe.location ? { location: probe.location, rule: input.near } : 'none');
      const guards: [string, string | null][] = [[this.k.openVer(scope), snap.version], [reportKey, null]];
      const target = probe.location && nearestMatch(snap.open.map((r) => r.order), { ...probe, location: probe.location }, input.near);
      const done = await this.mergeOrOpen(
        target && snap.open.find((r) => r.order.id === target.id)!,
        (o) => mergeReport(o, input.report, input.evidence, input.nowIso),
        () => buildReportOrder({ ...input, assignee: assigneeOf(input.assignee, snap.openCounts) }, this.nextId()),
        guards,
        input.outbox,
      );
      if (done) return done;
    }
    throw new StoreConflictError(`openReport ${scope}`, this.maxAttempts);
  }

  /**
   * One try of a de-dup decision, committed only on the snapshot its `guards` name: merged into
   * `cur` (a merge that adds nothing answers `cur` as it is), or, with no `cur`, a new order.
   * Null when another writer changed the snapshot first: decide again.
   */
  private async mergeOrOpen(
    cur: Read | null | undefined,
    merge: (o: WorkOrder) => WorkOrder | null,
    open: () => WorkOrder,
    guards: [string, string | null][],
    outbox: OutboxFn | undefined,
  ): Promise<{ order: WorkOrder; created: boolean } | null> {
    if (cur) {
      const merged = merge(cur.order);
      if (!merged) return { order: cur.order, created: false };
      return (await this.commit(cur, merged, guards, outbox)) ? { order: merged, created: false } : null;
    }
    const order = open();
    return (await this.commit(null, order, guards, outbox)) ? { order, created: true } : null;
  }

  async orderOfReport(reportId: string): Promise<WorkOrder | null> {
    const filed = await this.redis.get(this.k.report(reportId));
    if (filed === null) return null;
    const order = await this.get(filed);
    if (!order) throw new OrderNotFoundError(filed);
    return order;
  }

  /** Throws UnreadableOrderError for a record that cannot be read. */
  get(id: string): Promise<WorkOrder | null> {
    return this.getWith(id, (key) => this.redis.get(key));
  }

  async getWith(id: string, read: (key: string) => Promise<string | null>): Promise<WorkOrder | null> {
    const raw = await read(this.k.order(id));
    return raw === null ? null : this.parse(id, raw);
  }

  async findByEvent(eventId: string): Promise<WorkOrder | null> {
    const order = await this.orderOfEvent(eventId);
    return order && isOpen(order.state) ? order : null;
  }

  async orderOfEvent(eventId: string): Promise<WorkOrder | null> {
    const id = await this.redis.hget(this.k.events, eventId);
    return id === null ? null : this.get(id);
  }

  async list(filter: OrderFilter, page: { offset: number; limit: number }): Promise<{ items: WorkOrder[]; total: number }> {
    const states = [...new Set(filter.state ?? [])].map((s) => this.k.idx(`state:${s}`));
    const others: string[] = [];
    if (filter.team !== undefined) others.push(this.k.idx(`team:${filter.team}`));
    if (filter.type !== undefined) others.push(this.k.idx(`type:${filter.type}`));
    if (filter.deviceId !== undefined) others.push(this.k.idx(`device:${filter.deviceId}`));
    if (filter.cameraId !== undefined) others.push(this.k.idx(`camera:${filter.cameraId}`));
    if (filter.assignee !== undefined) others.push(this.k.idx(`assignee:${filter.assignee}`));
    if (filter.plate !== undefined) others.push(this.k.idx(`plate:${normalisePlate(filter.plate)}`));
    if (filter.reporter !== undefined) others.push(this.k.idx(`reporter:${filter.reporter}`));
    if (states.length === 0 && others.length === 0) others.push(this.k.idx('all'));
    const min = filter.from !== undefined ? String(msOf(filter.from, 'from')) : '-inf';
    const max = filter.to !== undefined ? String(msOf(filter.to, 'to')) : '+inf';
    const offset = Math.max(0, Math.floor(page.offset));
    const limit = Math.max(0, Math.floor(page.limit));
    const res = (await runScript(this.redis, listScript, [this.k.tmp(), ...states, ...others], [this.k.orderPrefix, states.length, min, max, offset, limit])) as [number, ...string[]];
    const [total, ...pairs] = res;
    const items: WorkOrder[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const read = this.readOrSkip(pairs[i], pairs[i + 1]);
      if (read) items.push(read.order);
    }
    // `total` still counts an unreadable order: it is there, and a page may come back one short.
    return { items, total: Number(total) };
  }

  async transition(
    id: string,
    to: OrderState,
    by: string,
    opts: { note?: string; expectFrom?: OrderState; expectTeam?: string; assignee?: string | null; rejection?: WorkOrder['rejection']; outbox?: OutboxFn } = {},
  ): Promise<WorkOrder> {
    return this.update(id, `transition ${id} → ${to}`, opts.outbox, (o) => {
      // Checked against the state read for this very commit, so of two operators exactly one wins.
      checkExpected(o, opts);
      const next = applyTransition(o, to, by, new Date(this.now()).toISOString(), opts.note);
      return {
        ...next,
        ...(opts.assignee !== undefined ? { assignee: opts.assignee } : {}),
        ...(opts.rejection !== undefined ? { rejection: opts.rejection } : {}),
      };
    });
  }

  async reassign(id: string, to: Assignment, by: string, opts: { note?: string; outbox?: OutboxFn; expectFrom?: OrderState; expectTeam?: string } = {}): Promise<WorkOrder> {
    return this.update(id, `reassign ${id}`, opts.outbox, (o) => {
      checkExpected(o, opts);
      return applyReassignment(o, to, by, new Date(this.now()).toISOString(), opts.note);
    });
  }

  /** Late photos may arrive after the order closed; they are kept either way. */
  async attachEvidence(id: string, refs: OrderEvidenceRef[]): Promise<WorkOrder> {
    return this.update(id, `attachEvidence ${id}`, undefined, (o) => {
      const evidence = appendEvidence(o.evidence, refs);
      return evidence.length === o.evidence.length ? null : { ...o, evidence, updatedAt: this.nowIso() };
    });
  }

  /** No-op for a closed order: a timer racing the close must not paint it yellow/red afterwards. */
  async setSla(id: string, level: SlaLevel): Promise<WorkOrder> {
    return this.update(id, `setSla ${id}`, undefined, (o) => (o.sla === level || !isOpen(o.state) ? null : { ...o, sla: level, updatedAt: this.nowIso() }));
  }

  async setEdgeEnded(id: string, ended: NonNullable<WorkOrder['edgeEnded']>, opts: { outbox?: OutboxFn; settle?: (o: WorkOrder) => WorkOrder | null } = {}): Promise<WorkOrder> {
    return this.update(id, `setEdgeEnded ${id}`, opts.outbox, (o) => {
      const recorded = o.edgeEnded?.reason === ended.reason && o.edgeEnded.at === ended.at ? o : { ...o, edgeEnded: ended, updatedAt: this.nowIso() };
      const next = opts.settle?.(recorded) ?? recorded;
      return next === o ? null : next;
    });
  }

  async apply(id: string, change: (o: WorkOrder) => WorkOrder | null, opts: { outbox?: OutboxFn } = {}): Promise<WorkOrder> {
    return this.update(id, `apply ${id}`, opts.outbox, change);
  }

  /**
   * Puts an order written before the place and reporter indexes existed into them: a commit adds
   * only what its change adds, so such an order would stay out of them while it stays as it is.
   * Idempotent; false when there is no such order.
   */
  async restoreIndexes(id: string): Promise<boolean> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await backoff(attempt);
      const raw = await this.redis.get(this.k.order(id));
      if (raw === null) return false;
      const order = this.parse(id, raw);
      const { keys, argv, op } = commitArgs([[this.k.order(id), raw]]);
      for (const key of this.reporterKeys(order)) op('zadd', key, String(Date.parse(order.discoveredAt)), id);
      for (const key of this.geoKeys(order)) op('geoadd', key, geoPosition(order), id);
      // A report that took its snapshot before this order was findable by place must look again.
      if (this.geoKeys(order).length) for (const scope of placeScopes(order)) op('incr', this.k.openVer(scope));
      if ((await runScript(this.redis, commitScript, keys, argv)) === 1) return true;
    }
    throw new StoreConflictError(`restoreIndexes ${id}`, this.maxAttempts);
  }

  /** Every officer of the team that ever held an order, with their open count (0 included). */
  async openCountByAssignee(team: string): Promise<Map<string, number>> {
    const names = (await this.redis.smembers(this.k.assignees(team))).sort();
    const counts = new Map<string, number>();
    if (names.length === 0) return counts;
    const pipe = this.redis.pipeline();
    for (const n of names) pipe.zcard(this.k.load(team, n));
    const res = (await pipe.exec()) ?? [];
    names.forEach((n, i) => {
      const [err, v] = res[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      counts.set(n, Number(v));
    });
    return counts;
  }

  /** All orders (open or closed) whose current plate read matches, after normalisation; includes the caller's own order if it has this plate. */
  async countByPlate(plate: string): Promise<number> {
    return this.redis.zcard(this.k.idx(`plate:${normalisePlate(plate)}`));
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Read → `change` (null: nothing to write) → guarded commit with its outbox entry, retried on conflict. Errors from `change` propagate. */
  private async update(id: string, what: string, outbox: OutboxFn | undefined, change: (o: WorkOrder) => WorkOrder | null): Promise<WorkOrder> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await backoff(attempt);
      const raw = await this.redis.get(this.k.order(id));
      if (raw === null) throw new OrderNotFoundError(id);
      const cur = { raw, order: this.parse(id, raw) };
      const next = change(cur.order);
      if (!next) return cur.order;
      if (await this.commit(cur, next, [], outbox)) return next;
    }
    throw new StoreConflictError(what, this.maxAttempts);
  }

  /**
   * `countsOf`: the team whose officers' open counts to read too (null: none). `pick`: the scope's
   * open orders to read: all (a camera's scope), none, or those of its GEO set near a place.
   */
  private async snapshot(
    scope: string,
    eventId: string,
    countsOf: string | null,
    pick: 'all' | 'none' | { location: LatLong; rule: NearRule } = 'all',
  ): Promise<{ version: string | null; eventOrder: Read | null; open: Read[]; openCounts: Map<string, number> }> {
    const keys = [typeof pick === 'object' ? this.k.geo(scope) : this.k.open(scope), this.k.openVer(scope), this.k.events];
    if (countsOf !== null) keys.push(this.k.assignees(countsOf));
    const which = typeof pick === 'object' ? ['near', pick.location.long, pick.location.lat, searchRadiusMeters(pick.rule)] : [pick];
    const res = (await runScript(this.redis, snapshotScript, keys, [this.k.orderPrefix, eventId, countsOf === null ? '' : this.k.loadPrefix(countsOf), ...which])) as [
      string | null, string | null, string | null, (string | number)[], ...(string | null)[],
    ];
    const [version, eventOrderId, eventRaw, loads] = res;
    const openCounts = new Map<string, number>();
    for (let i = 0; i + 1 < loads.length; i += 2) openCounts.set(String(loads[i]), Number(loads[i + 1]));
    const open: Read[] = [];
    for (let i = 4; i + 1 < res.length; i += 2) {
      const read = this.readOrSkip(res[i] as string, res[i + 1] as string | null);
      if (read) open.push(read);
    }
    // An unreadable order takes no part in de-dup: the detection opens a new one rather than fail forever.
    return { version: version ?? null, eventOrder: eventOrderId ? this.readOrSkip(eventOrderId, eventRaw) : null, open, openCounts };
  }

  /** A stored order, or null (logged once per id) when it cannot be read: one bad record must not fail every list. */
  private readOrSkip(id: string, raw: string | null): Read | null {
    if (!raw) return null;
    try {
      return { raw, order: this.parse(id, raw) };
    } catch (err) {
      if (!(err instanceof UnreadableOrderError)) throw err;
      if (!this.reportedUnreadable.has(id)) {
        this.reportedUnreadable.add(id);
        this.log.error({ orderId: id, err: err.message }, 'work order skipped: cannot be read');
      }
      return null;
    }
  }

  /** parseOrder, skipped for the JSON this store last wrote or read for the order (parsed-orders.ts). */
  private parse(id: string, raw: string): WorkOrder {
    const kept = this.parsed.get(id, raw);
    if (kept) return kept;
    const order = parseOrder(id, raw);
    this.parsed.set(id, raw, order);
    return order;
  }

  /** Every index zset an order belongs to, given its current fields. */
  private indexKeys(o: WorkOrder): string[] {
    const keys = [this.k.idx('all'), this.k.idx(`state:${o.state}`), this.k.idx(`team:${o.team}`), this.k.idx(`type:${o.type}`)];
    if (o.deviceId) keys.push(this.k.idx(`device:${o.deviceId}`));
    if (o.cameraId) keys.push(this.k.idx(`camera:${o.cameraId}`));
    if (o.assignee) keys.push(this.k.idx(`assignee:${o.assignee}`));
    if (o.plate) keys.push(this.k.idx(`plate:${normalisePlate(o.plate.text)}`));
    keys.push(...this.reporterKeys(o));
    if (isOpen(o.state)) {
      if (o.deviceId !== null) keys.push(this.k.open(dedupeScope(o)));
      if (o.assignee) keys.push(this.k.load(o.team, o.assignee));
    }
    return keys;
  }

  /** The lists of the signed-in users whose reports the order holds. */
  private reporterKeys(o: WorkOrder): string[] {
    return o.reports.flatMap((r) => (r.user ? [this.k.idx(`reporter:${r.user}`)] : []));
  }

  /** The GEO sets an order is in: open, with a place GEO can hold, in its place scopes. */
  private geoKeys(o: WorkOrder): string[] {
    return isOpen(o.state) && o.location && geoIndexable(o.location) ? placeScopes(o).map((s) => this.k.geo(s)) : [];
  }

  /**
   * Writes `next` and moves it between indexes (the diff from `prev`), with the side effects
   * `outbox` names for this change, if `prev` (and every extra guard) is still what was read.
   * False: lost a race, read again.
   */
  private async commit(prev: Read | null, next: WorkOrder, extraGuards: [string, string | null][], outbox: OutboxFn | undefined): Promise<boolean> {
    const orderKey = this.k.order(next.id);
    const { keys, argv, op } = commitArgs([[orderKey, prev?.raw ?? null], ...extraGuards]);

    const effects = [...(outbox?.(prev?.order ?? null, next) ?? []), ...reporterNotices(prev?.order ?? null, next)];
    if (effects.length) op('xadd', this.k.outbox, OUTBOX_FIELD, JSON.stringify(effects));
    const json = JSON.stringify(next);
    op('set', orderKey, json);
    const before = new Set(prev ? this.indexKeys(prev.order) : []);
    const after = new Set(this.indexKeys(next));
    const score = String(Date.parse(next.discoveredAt));
    for (const key of before) if (!after.has(key)) op('zrem', key, next.id);
    for (const key of after) if (!before.has(key)) op('zadd', key, score, next.id);
    const geoBefore = new Set(prev ? this.geoKeys(prev.order) : []);
    const geoAfter = new Set(this.geoKeys(next));
    const moved = prev?.order.location?.lat !== next.location?.lat || prev?.order.location?.long !== next.location?.long;
    for (const key of geoBefore) if (!geoAfter.has(key)) op('zrem', key, next.id);
    for (const key of geoAfter) if (moved || !geoBefore.has(key)) op('geoadd', key, geoPosition(next), next.id);
    for (const e of next.eventIds) if (!prev?.order.eventIds.includes(e)) op('hsetnx', this.k.events, e, next.id);
    for (const r of next.reports) if (!prev?.order.reports.some((p) => p.id === r.id)) op('set', this.k.report(r.id), next.id);
    if (next.assignee && next.assignee !== prev?.order.assignee) op('sadd', this.k.assignees(next.team), next.assignee);
    const touched = new Set([...(prev && isOpen(prev.order.state) ? openScopes(prev.order) : []), ...(isOpen(next.state) ? openScopes(next) : [])]);
    for (const scope of touched) op('incr', this.k.openVer(scope));

    const landed = (await runScript(this.redis, commitScript, keys, argv)) === 1;
    if (landed) this.parsed.set(next.id, json, next);
    return landed;
  }
}

/** The KEYS and ARGV of a guarded commit (lua/commit.ts): its guards, then the ops `op` adds. */
function commitArgs(guards: [string, string | null][]) {
  const keys: string[] = [];
  const at = (key: string): number => {
    let i = keys.indexOf(key);
    if (i < 0) i = keys.push(key) - 1;
    return i + 1;
  };
  const argv: (string | number)[] = [guards.length];
  for (const [key, raw] of guards) argv.push(at(key), sha1(raw));
  const op = (name: string, key: string, a = '', b = ''): void => void argv.push(name, at(key), a, b);
  return { keys, argv, op };
}

/** The `geoadd` op's position of a located order. */
const geoPosition = (o: WorkOrder): string => `${o.location!.long},${o.location!.lat}`;

/** A new order's officer: as given, or picked from the open counts read with the snapshot. */
const assigneeOf = (a: OpenOrderInput['assignee'], counts: ReadonlyMap<string, number>): string | null => (typeof a === 'function' ? a(counts) : a);

/**
 * The de-dup scopes an open order takes part in: its camera's (once a camera saw it), all located
 * orders of its type (reports look there), and, for a reported one, the reported orders of its type.
 */
function openScopes(o: WorkOrder): string[] {
  const scopes: string[] = [];
  if (o.deviceId !== null) scopes.push(dedupeScope(o));
  if (o.location) scopes.push(nearScope(o.type));
  if (o.source !== 'camera') scopes.push(reportedScope(o.type));
  return scopes;
}

/** The scopes searched by place (GEO sets), of those an order with a location takes part in. */
const placeScopes = (o: WorkOrder): string[] => (o.source !== 'camera' ? [nearScope(o.type), reportedScope(o.type)] : [nearScope(o.type)]);

/** Redis GEO holds latitudes up to ±85.05° only: an order nearer a pole is not found by place. */
const geoIndexable = (p: LatLong): boolean => Math.abs(p.lat) <= 85.05112878 && Math.abs(p.long) <= 180;

/**
 * GEOSEARCH measures on a slightly larger sphere than distanceMeters and to ~0.6 m (its geohash):
 * it searches a little wider and nearDistance decides, so the decisions stay those of the rule.
 */
const searchRadiusMeters = (rule: NearRule): number => rule.radiusMeters * 1.01 + 1;

function msOf(isoTime: string, field: string): number {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new StreetWatchError('INVALID_FILTER', `order filter ${field}: not a time: ${isoTime}`);
  return ms;
}

function parseOrder(id: string, raw: string): WorkOrder {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new UnreadableOrderError(id, `not JSON (${(err as Error).message})`);
  }
  const res = workOrderSchema.safeParse(json);
  if (!res.success) throw new UnreadableOrderError(id, describeIssues(res.error.issues));
  return res.data;
}
