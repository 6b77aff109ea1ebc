/**
 * The work-order workflow: what happens to an order when a detection arrives, when an operator or
 * officer acts, and when the edge says the problem ended. The API and the detection worker both go
 * through here, so dispatch, SLA timers and metrics stay consistent whoever triggers a change.
 * Timers and notices are not queued from here: each store commit writes them into the outbox with
 * the order (order-effects.ts decides which), and a worker's drainer queues them.
 */
import { StreetWatchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { DetectionMessage, EvidenceRef, Report, ViolationType } from '../contract/index.js';
import { isAutoConfirmed, locationFor, pickOfficer, teamFor, teamForLocation } from './assignment.js';
import type { CenterConfig } from '../center/config.js';
import { orderEventPoint, type MetricsWriter } from '../center/metrics/points.js';
import { detectionEffects, edgeEndedEffects, reassignEffects, reportEffects, transitionEffects, unableEffects, verificationEffects } from './order-effects.js';
import type { NearRule } from './report-orders.js';
import { allOf } from './outbox.js';
import { deadline } from './sla.js';
import type { WorkOrderStore } from './store-types.js';
import { reopenIfStillThere, resolveOrder, settleOnEdgeEnd, waitsForCamera } from './verification.js';
import { applyUnable, assertPersonMayMove, isOpen, type OrderState, type UnableReason, type WorkOrder } from './work-order.js';

export interface WorkflowDeps {
  config: CenterConfig;
  store: WorkOrderStore;
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
    const nowIso = new Date(this.now()).toISOString();
    const { order, created } = await store.openOrMerge({
      detection: d,
      team,
      // Picked only for a new order, from counts read with the de-dup snapshot.
      assignee: confirmed ? (counts) => pickOfficer(teamCfg, counts) : null,
      location: locationFor(config, d.deviceId, d.cameraId),
      confirmed,
      deadlineAt: new Date(deadline(Date.parse(d.discoveredAt), config.sla)).toISOString(),
      dedupeIou: config.dedupe.iou,
      plateWindowMs: config.dedupe.plateWindowMinutes * 60_000,
      nowIso,
      // The clock runs from the edge's discovery, whether or not an operator must look first.
      outbox: detectionEffects(d, config.sla),
      near: this.nearRule(),
    });
    if (created) this.log(order, null, order.state, 'system');
    return order;
  }

  /**
   * A person's report (Open311 client or inspector): it joins the open order of its type nearest
   * to it in place and time, or opens one for the team whose area it is in, dispatched at once when
   * its source is trusted (`confirmed`), else waiting for review; the SLA runs from its receipt.
   */
  async onReport(r: { report: Report; type: ViolationType; evidence: EvidenceRef[]; confirmed: boolean }): Promise<{ order: WorkOrder; created: boolean }> {
    const { config, store } = this.deps;
    const team = r.report.location ? teamForLocation(config, r.report.location) : config.defaultTeam;
    const teamCfg = config.teams.find((t) => t.id === team)!;
    const res = await store.openReport({
      ...r,
      team,
      assignee: r.confirmed ? (counts) => pickOfficer(teamCfg, counts) : null,
      deadlineAt: new Date(deadline(Date.parse(r.report.receivedAt), config.sla)).toISOString(),
      near: this.nearRule(),
      nowIso: this.nowIso(),
      outbox: reportEffects(config.sla),
    });
    if (res.created) this.log(res.order, null, res.order.state, res.order.audit[0]?.by ?? 'system');
    else this.deps.logger.info({ orderId: res.order.id, report: r.report.id, source: r.report.source }, 'report joined an open order');
    return res;
  }

  /** The order holding a report filed before (a phone's resend), whatever its state; null for a new id. */
  orderOfReport(reportId: string): Promise<WorkOrder | null> {
    return this.deps.store.orderOfReport(reportId);
  }

  private nearRule(): NearRule {
    const { reports } = this.deps.config;
    return { radiusMeters: reports.radiusMeters, windowMs: reports.windowMinutes * 60_000 };
  }

  /**
   * The edge saw the problem end: `left` before handling means self-cleared; other reasons only
   * note it. An order resolved and waiting for the camera is settled by it (verification.ts).
   */
  private async onEnded(d: DetectionMessage): Promise<WorkOrder | null> {
    const { store } = this.deps;
    const order = await store.orderOfEvent(d.eventId);
    if (!order || !(isOpen(order.state) || waitsForCamera(order))) return null;
    const at = d.endedAt ?? d.sentAt;
    const updated = await store.setEdgeEnded(order.id, { reason: d.reason ?? 'left', at }, {
      outbox: edgeEndedEffects(d),
      settle: (o) => settleOnEdgeEnd(o, this.nowIso()),
    });
    if (order.state === 'resolved') this.logVerification(updated, order);
    // A crash before the move leaves the order open with the end noted: the retried job finds it
    // again and moves it then, the stand-down going out with the move.
    if (isOpen(updated.state) && d.reason === 'left' && updated.state !== 'on_site') {
      return this.move(updated, 'self_cleared', 'edge', `the edge saw it leave at ${at}`);
    }
    return updated;
  }

  /** An operator confirms a detection waiting for review: it is dispatched to its team's officer. */
  async confirm(orderId: string, actor: Actor): Promise<WorkOrder> {
    const { store } = this.deps;
    const order = await this.mustGet(orderId);
    const teamCfg = this.deps.config.teams.find((t) => t.id === order.team);
    const assignee = teamCfg ? pickOfficer(teamCfg, await store.openCountByAssignee(order.team)) : null;
    const note = 'confirmed by operator';
    const updated = await store.transition(orderId, 'dispatched', actor.name, { expectFrom: 'pending_review', expectTeam: order.team, assignee, note, outbox: transitionEffects(note) });
    this.log(updated, 'pending_review', 'dispatched', actor.name);
    return updated;
  }

  async reject(orderId: string, actor: Actor, reason: NonNullable<WorkOrder['rejection']>['reason'], note?: string): Promise<WorkOrder> {
    const updated = await this.deps.store.transition(orderId, 'rejected', actor.name, {
      expectFrom: 'pending_review', note, rejection: { reason, ...(note ? { note } : {}) }, outbox: transitionEffects(note),
    });
    this.log(updated, 'pending_review', 'rejected', actor.name);
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
    const updated = await store.reassign(orderId, { team: to.team, assignee }, actor.name, { note, outbox: reassignEffects(), expectFrom: order.state, expectTeam: order.team });
    this.deps.logger.info({ orderId, team: updated.team, assignee: updated.assignee, by: actor.name }, 'work order reassigned');
    return updated;
  }

  /** The officer cannot handle it: the order waits, open, for its supervisor (told why) to reassign it. */
  async unable(orderId: string, actor: Actor, reason: UnableReason, note?: string): Promise<WorkOrder> {
    const order = await this.mustGet(orderId);
    const updated = await this.deps.store.apply(orderId, (o) => applyUnable(o, reason, actor.name, this.nowIso(), note), {
      outbox: allOf(transitionEffects(note), unableEffects(note)),
    });
    this.log(updated, order.state, 'unable', actor.name);
    return updated;
  }

  async transition(orderId: string, to: OrderState, actor: Actor, note?: string): Promise<WorkOrder> {
    const order = await this.mustGet(orderId);
    assertPersonMayMove(order, to);
    return this.move(order, to, actor.name, note);
  }

  private async move(order: WorkOrder, to: OrderState, by: string, note?: string): Promise<WorkOrder> {
    if (to === 'resolved') return this.resolve(order, by, note);
    const updated = await this.deps.store.transition(order.id, to, by, { expectFrom: order.state, note, outbox: transitionEffects(note) });
    this.log(updated, order.state, to, by);
    return updated;
  }

  /** An officer resolved: a camera order waits for its box, or is verified at once if it saw the problem leave already. */
  private async resolve(order: WorkOrder, by: string, note?: string): Promise<WorkOrder> {
    const { store, config } = this.deps;
    // Only on_site may resolve (applyTransition refuses the rest), so a stale read cannot slip through.
    const updated = await store.apply(order.id, (o) => resolveOrder(o, by, this.nowIso(), config.verification, note), {
      outbox: allOf(transitionEffects(note), verificationEffects(config.sla)),
    });
    this.log(updated, order.state, 'resolved', by);
    this.logVerification(updated, { ...order, state: 'resolved' });
    return updated;
  }

  /**
   * The verification timer of the wait ending at `until` fired: an order the box has not seen go
   * reopens for its team, and the team and supervisor are told. Returns what became of it.
   */
  async verificationDue(orderId: string, until: string): Promise<'reopened' | 'settled' | 'missing'> {
    const { store, config } = this.deps;
    if (!(await store.get(orderId))) return 'missing';
    // What the commit that landed decided on (a lost race decides again on fresh data).
    let before: WorkOrder | null = null;
    const updated = await store.apply(orderId, (o) => {
      before = o;
      return reopenIfStillThere(o, until, this.nowIso());
    }, { outbox: verificationEffects(config.sla) });
    if (!before || updated === before) return 'settled';
    this.logVerification(updated, before);
    return 'reopened';
  }

  /** Logs (and counts) what the camera's word did to a resolved order, if anything. */
  private logVerification(updated: WorkOrder, before: WorkOrder): void {
    const was = before.verification?.status;
    const now = updated.verification?.status;
    if (before.state === 'resolved' && updated.state !== 'resolved') this.log(updated, 'resolved', updated.state, 'edge');
    if (now !== was && now !== 'waiting') {
      this.deps.logger.info({ orderId: updated.id, team: updated.team, verification: now, note: updated.verification?.note }, 'camera verification');
    }
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  private async mustGet(orderId: string): Promise<WorkOrder> {
    const order = await this.deps.store.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  private log(order: WorkOrder, from: OrderState | null, to: OrderState, by: string): void {
    this.deps.metrics.write(orderEventPoint({ order, from, to, at: new Date(this.now()) }));
    // The centre's own transitions (every detection's order) are too many for info at city scale;
    // people's actions stay at info.
    const level = by === 'system' || by === 'edge' ? 'debug' : 'info';
    this.deps.logger[level]({ orderId: order.id, deviceId: order.deviceId, cameraId: order.cameraId, from, to, by }, 'work order transition');
  }
}

export class OrderNotFoundError extends StreetWatchError {
  constructor(orderId: string) {
    super('ORDER_NOT_FOUND', `no work order ${orderId}`);
  }
}
