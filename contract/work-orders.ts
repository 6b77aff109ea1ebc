/**
 * The work order as it leaves the centre: stored in Redis, served by the HTTP API, streamed to the
 * console and sent to the teams (contract/team-orders.ts). Only the shape lives here, so that the
 * console can type-import it without the centre's Node modules; the states' rules (which moves are
 * allowed, which states are open) are the centre's, in ticketing/work-order.ts.
 */
import { z } from 'zod';
import { isoTime } from './fields.js';
import { endReason, evidenceRef, normBox, plateRead, violationType } from './messages.js';

export const ORDER_STATES = ['pending_review', 'dispatched', 'accepted', 'on_site', 'resolved', 'rejected', 'self_cleared', 'cancelled', 'verified'] as const;
export const orderState = z.enum(ORDER_STATES);

/**
 * Camera-verified closure: when an officer resolves an order a camera found, the box that found it
 * has until `until` to see the problem go. `waiting` → `verified` (the order's state says so too)
 * when it saw it leave; `unverified` when the box stopped watching first (`note` says why);
 * `reopened` when it was still there at `until` (the order went back to its team).
 */
export const verificationSchema = z
  .object({
    status: z.enum(['waiting', 'verified', 'unverified', 'reopened']),
    until: isoTime,
    /** When it stopped waiting. */
    at: isoTime.optional(),
    note: z.string().optional(),
  })
  .meta({ id: 'Verification' });

export const slaLevel = z.enum(['green', 'yellow', 'red']);

export const REJECT_REASONS = ['not_a_violation', 'wrong_class', 'outside_zone', 'duplicate', 'other'] as const;
export const rejectReason = z.enum(REJECT_REASONS);

/** Where the camera stands (centre config), for officers and the console's plan. */
export const locationSchema = z.object({ lat: z.number(), long: z.number(), address: z.string().optional() }).meta({ id: 'Location' });

/** One step of the order's timeline. */
export const auditEntry = z
  .object({
    at: isoTime,
    /** User name, `system`, `edge` or `sla`. */
    by: z.string(),
    from: orderState.nullable(),
    to: orderState,
    note: z.string().optional(),
  })
  .meta({ id: 'AuditEntry' });

export const workOrderSchema = z
  .object({
    id: z.string(),
    type: violationType,
    state: orderState,
    deviceId: z.string(),
    cameraId: z.string(),
    zoneId: z.string(),
    team: z.string(),
    assignee: z.string().nullable(),
    location: locationSchema.nullable(),
    /** Edge events merged into this order (the first opened it). */
    eventIds: z.array(z.string()).min(1),
    evidence: z.array(evidenceRef),
    bbox: normBox.nullable(),
    label: z.string(),
    confidence: z.number(),
    plate: plateRead.nullable(),
    discoveredAt: isoTime,
    createdAt: isoTime,
    updatedAt: isoTime,
    /** discoveredAt + the SLA target. */
    deadlineAt: isoTime,
    /** When the order entered each state. */
    stateTimes: z.partialRecord(orderState, isoTime),
    sla: slaLevel,
    /** The edge's last word on the problem, if it ended. */
    edgeEnded: z.object({ reason: endReason, at: isoTime }).nullable(),
    rejection: z.object({ reason: rejectReason, note: z.string().optional() }).nullable(),
    /** Absent until an officer resolves a camera order (stored orders from before read without it). */
    verification: verificationSchema.optional(),
    audit: z.array(auditEntry),
  })
  .meta({ id: 'WorkOrder' });

export type OrderState = z.output<typeof orderState>;
export type SlaLevel = z.output<typeof slaLevel>;
export type RejectReason = z.output<typeof rejectReason>;
export type Location = z.output<typeof locationSchema>;
export type Verification = z.output<typeof verificationSchema>;
export type AuditEntry = z.output<typeof auditEntry>;
export type WorkOrder = z.output<typeof workOrderSchema>;
