/**
 * The work-order workflow: what happens to an order when a detection arrives, when an operator or
 * officer acts, and when the edge says the problem ended. The API and the detection worker both go
 * through here, so dispatch, SLA timers and metrics stay consistent whoever triggers a change.
 */
import { StreetWatchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { DetectionMessage } from '../contract/index.js';
import { isAutoConfirmed, locationFor, pickOfficer, teamFor } from './assignment.js';
import type { CenterConfig } from '../center/config.js';
import { enqueueDispatch } from './dispatcher.js';
import { orderEventPoint, type MetricsWriter } from '../center/metrics/points.js';
import type { Queues } from './queues.js';
import { deadline } from './sla.js';
import { cancelSla, scheduleSla } from './sla-timers.js';
import type { WorkOrderStore } from './store-types.js';
import { isOpen, type OrderState, type WorkOrder } from './work-order.js';

export interface WorkflowDeps {
  config: CenterConfig;
  store: WorkOrderStore;
  queues: Queues;
  metrics: MetricsWriter;
  logger: Logger;
  now?: () => number;
}

export interface Actor {
  name: string;
}

export class Workflow {
  private readonly now: () => number;

  constructor(private readonly deps: WorkflowDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** One validated detection message (a BullMQ job); idempotent, so a retried job changes nothing twice. */
  async onDetection(d: DetectionMessage): Promise<WorkOrder | null> {
    if (d.state === 'ended') return this.onEnded(d);
    const { config, store } = this.deps;
    const team = teamFor(config, d.deviceId, d.cameraId, d.zoneId);
    const teamCfg = config.teams.find((t) => t.id === team)!;
    const confirmed = isAutoConfirmed(config, d.type, d.deviceId, d.cameraId, d.confidence);
    const assignee = confirmed ? pickOfficer(teamCfg, await store.openCountByAssignee(team)) : null;
    const nowIso = new Date(this.now()).toISOString();
    const { order, created } = await store.openOrMerge({
      detection: d,
      team,
      assignee,
      location: locationFor(config, d.deviceId, d.cameraId),
      confirmed,
      deadlineAt: new Date(deadline(Date.parse(d.discoveredAt), config.sla)).toISOString(),
      dedupeIou: config.dedupe.iou,
      plateWindowMs: config.dedupe.plateWindowMinutes * 60_000,
      nowIso,
    });
    if (created) this.log(order, null, order.state, 'system');
    // This event opened the order. Not `created` means a retried job whose first run may have died
    // after the write and before the timers and the notice: both are asked for again (fixed job ids
    // make that a no-op when they exist), or a crash in between would lose them for good.
    const opener = order.eventIds[0] === d.eventId;
    if ((created || opener) && isOpen(order.state)) {
      // The clock runs from the edge's discovery, whether or not an operator must look first.
      await scheduleSla(this.deps.queues, order, config.sla, this.now());
      if (order.state === 'dispatched') await this.dispatch(order, 'order');
    }
    // Later photos (the second timed one) reach the officer as they come; the opening message's own
    // photos went out with the order, so its redelivery sends no update.
    const redeliveredOpening = opener && d.seq === 0;
    if (!created && !redeliveredOpening && d.evidence.length && isOpen(order.state) && order.state !== 'pending_review') {
      await this.dispatch(order, 'update', undefined, `${d.eventId}-${d.seq}`);
    }
    return order;
  }

  /** The edge saw the problem end: `left` before handling means self-cleared; other reasons only note it. */
  private async onEnded(d: DetectionMessage): Promise<WorkOrder | null> {
    const { store } = this.deps;
    const order = await store.findByEvent(d.eventId);
    if (!order) return null;
    const at = d.endedAt ?? d.sentAt;
    let updated = await store.setEdgeEnded(order.id, { reason: d.reason ?? 'left', at });
    if (!isOpen(updated.state)) return updated;
    if (d.reason === 'left' && updated.state !== 'on_site') {
      const note = `the edge saw it leave at ${at}`;
      // Queued before the move: once the order is closed a retried job cannot find it again, so a
      // crash in between would otherwise leave the officer driving out (the id makes it send once).
      if (updated.state !== 'pending_review') await this.dispatch(updated, 'stand_down', note);
      return this.move(updated, 'self_cleared', 'edge', note);
    }
    // An order still waiting for review has not reached the officers: nothing to tell them yet.
    if (updated.state === 'pending_review') return updated;
    const note = d.reason === 'left' ? 'the edge saw it leave while the officer is on site' : `the edge stopped watching (${d.reason}); the order stays open`;
    await this.dispatch(updated, 'update', note, `${d.eventId}-${d.seq}`);
    return updated;
  }

  /** An operator confirms a detection waiting for review: it is dispatched to its team's officer. */
  async confirm(orderId: string, actor: Actor): Promise<WorkOrder> {
    const { store } = this.deps;
    const order = await this.mustGet(orderId);
    const teamCfg = this.deps.config.teams.find((t) => t.id === order.team);
    const assignee = teamCfg ? pickOfficer(teamCfg, await store.openCountByAssignee(order.team)) : null;
    const updated = await store.transition(orderId, 'dispatched', actor.name, { expectFrom: 'pending_review', assignee, note: 'confirmed by operator' });
    this.log(updated, 'pending_review', 'dispatched', actor.name);
    await this.dispatch(updated, 'order');
    return updated;
  }

  async reject(orderId: string, actor: Actor, reason: NonNullable<WorkOrder['rejection']>['reason'], note?: string): Promise<WorkOrder> {
    const updated = await this.deps.store.transition(orderId, 'rejected', actor.name, { expectFrom: 'pending_review', note, rejection: { reason, ...(note ? { note } : {}) } });
    this.log(updated, 'pending_review', 'rejected', actor.name);
    await cancelSla(this.deps.queues, orderId);
    return updated;
  }

  /**
   * A supervisor hands an open order to another team or officer. Without an officer, a dispatched
   * order goes to the least-loaded one of the team; one waiting for review gets its officer when
   * confirmed. The new team (and its officer) is sent the order.
   */
  async reassign(orderId: string, to: { team: string; assignee?: string }, actor: Actor, note?: string): Promise<WorkOrder> {
    const { store, config } = this.deps;
    const order = await this.mustGet(orderId);
    const teamCfg = config.teams.find((t) => t.id === to.team);
    if (!teamCfg) throw new StreetWatchError('TEAM_NOT_FOUND', `no team ${to.team}`);
    const reviewed = order.state !== 'pending_review';
    const assignee = to.assignee ?? (reviewed ? pickOfficer(teamCfg, await store.openCountByAssignee(to.team)) : null);
    const updated = await store.reassign(orderId, { team: to.team, assignee }, actor.name, note);
    this.deps.logger.info({ orderId, team: updated.team, assignee: updated.assignee, by: actor.name }, 'work order reassigned');
    if (reviewed) await this.dispatch(updated, 'order', undefined, `reassigned-${updated.audit.length}`);
    return updated;
  }

  async transition(orderId: string, to: OrderState, actor: Actor, note?: string): Promise<WorkOrder> {
    return this.move(await this.mustGet(orderId), to, actor.name, note);
  }

  private async move(order: WorkOrder, to: OrderState, by: string, note?: string): Promise<WorkOrder> {
    const updated = await this.deps.store.transition(order.id, to, by, { expectFrom: order.state, note });
    this.log(updated, order.state, to, by);
    if (!isOpen(to)) await cancelSla(this.deps.queues, order.id);
    if (to === 'self_cleared' && order.state !== 'pending_review') await this.dispatch(updated, 'stand_down', note);
    if (to === 'cancelled' && order.state !== 'pending_review') await this.dispatch(updated, 'stand_down', note);
    return updated;
  }

  private async mustGet(orderId: string): Promise<WorkOrder> {
    const order = await this.deps.store.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  /** `seq` names an update after what caused it, so a retried detection job sends it once. */
  private async dispatch(order: WorkOrder, kind: 'order' | 'update' | 'stand_down', note?: string, seq?: string): Promise<void> {
    await enqueueDispatch(this.deps.queues, { orderId: order.id, kind, audience: 'team', ...(note ? { note } : {}) }, seq ? { seq } : {});
  }

  private log(order: WorkOrder, from: OrderState | null, to: OrderState, by: string): void {
    this.deps.metrics.write(orderEventPoint({ order, from, to, at: new Date(this.now()) }));
    this.deps.logger.info({ orderId: order.id, deviceId: order.deviceId, cameraId: order.cameraId, from, to, by }, 'work order transition');
  }
}

export class OrderNotFoundError extends StreetWatchError {
  constructor(orderId: string) {
    super('ORDER_NOT_FOUND', `no work order ${orderId}`);
  }
}
