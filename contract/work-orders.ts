/**
 * The work order as it leaves the centre: stored in Redis, served by the HTTP API, streamed to the
 * console and sent to the teams (contract/team-orders.ts). Only the shape lives here, so that the
 * console can type-import it without the centre's Node modules; the states' rules (which moves are
 * allowed, which states are open) are the centre's, in ticketing/work-order.ts.
 */
import { z } from 'zod';
import { isoTime } from './fields.js';
import { endReason, evidenceRef, normBox, plateRead, violationType } from './messages.js';

/** Where an order came from: a camera, an Open311 client (citizen app, hotline) or a grid inspector. */
export const ORDER_SOURCES = ['camera', 'open311', 'inspector'] as const;
export const orderSource = z.enum(ORDER_SOURCES);

/** `unable`: the officer could not handle it (reason in `unable`); open, back with the supervisor until reassigned. */
export const ORDER_STATES = ['pending_review', 'dispatched', 'accepted', 'on_site', 'resolved', 'rejected', 'self_cleared', 'cancelled', 'verified', 'unable'] as const;
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

/** Why an officer could not handle an order (the officer app's list). */
export const UNABLE_REASONS = ['no_access', 'needs_tow_truck', 'owner_disputes', 'unsafe', 'other'] as const;
export const unableReason = z.enum(UNABLE_REASONS);

/** Photos of an order: the edge's, and `officer` ones taken in the officer app on the scene. */
export const orderEvidenceRef = evidenceRef.extend({ kind: z.enum([...evidenceRef.shape.kind.options, 'officer']) }).meta({ id: 'OrderEvidenceRef' });

/** Where the camera stands (centre config), for officers and the console's plan. */
export const locationSchema = z.object({ lat: z.number(), long: z.number(), address: z.string().optional() }).meta({ id: 'Location' });

/** One report from a person (Open311 client or inspector) that opened or joined the order. */
export const reportSchema = z
  .object({
    id: z.string(),
    source: orderSource.exclude(['camera']),
    /** The Open311 client that sent it (its callbacks follow the order). */
    clientId: z.string().optional(),
    /** The signed-in inspector who sent it. */
    user: z.string().optional(),
    description: z.string(),
    contact: z.object({ email: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional(), phone: z.string().optional() }).optional(),
    /** Null when the reporter gave only an address (then not de-duplicated, and the default team's). */
    location: locationSchema.nullable(),
    /** The address the reporter gave without a position. */
    address: z.string().optional(),
    /** The plate the reporter gave, if any. */
    plate: z.string().optional(),
    /** A photo link the reporter gave instead of an upload (not fetched). */
    mediaUrl: z.string().optional(),
    receivedAt: isoTime,
    /** Its photos among the order's evidence. */
    evidenceIds: z.array(z.string()),
  })
  .meta({ id: 'Report' });

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
    /** Stored orders from before sources read as camera orders. */
    source: orderSource.default('camera'),
    /** Null for an order a person reported, until a camera sees the same problem. */
    deviceId: z.string().nullable(),
    cameraId: z.string().nullable(),
    zoneId: z.string().nullable(),
    team: z.string(),
    assignee: z.string().nullable(),
    location: locationSchema.nullable(),
    /** Edge events merged into this order (the first opened a camera order); none for a report no camera saw. */
    eventIds: z.array(z.string()),
    evidence: z.array(orderEvidenceRef),
    /** The people's reports merged into this order, oldest first. */
    reports: z.array(reportSchema).default([]),
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
    /** The officer's last "unable to handle" (absent until one). */
    unable: z.object({ reason: unableReason, note: z.string().optional(), by: z.string(), at: isoTime }).optional(),
    /** Absent until an officer resolves a camera order (stored orders from before read without it). */
    verification: verificationSchema.optional(),
    audit: z.array(auditEntry),
  })
  .meta({ id: 'WorkOrder' });

export type OrderState = z.output<typeof orderState>;
export type OrderSource = z.output<typeof orderSource>;
export type Report = z.output<typeof reportSchema>;
export type SlaLevel = z.output<typeof slaLevel>;
export type RejectReason = z.output<typeof rejectReason>;
export type UnableReason = z.output<typeof unableReason>;
export type OrderEvidenceRef = z.output<typeof orderEvidenceRef>;
export type Location = z.output<typeof locationSchema>;
export type Verification = z.output<typeof verificationSchema>;
export type AuditEntry = z.output<typeof auditEntry>;
export type WorkOrder = z.output<typeof workOrderSchema>;
