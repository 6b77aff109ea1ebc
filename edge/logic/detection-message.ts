import { toIso, type DetectionMessage, type EvidenceRef, type NormBox, type PlateRead } from '../../contract/index.js';
import type { PixelBox } from '../../detector/types.js';
import type { FrameSize, LifecycleEvent } from './violation.js';

/** Per-violation state the agent keeps between messages: evidence so far and the next seq. */
export interface OpenViolation {
  refs: EvidenceRef[];
  seq: number;
  /** The vehicle's voted plate, once read; kept for the messages after its track has gone. */
  plate?: PlateRead;
  /** The plate text whose close-up has been sent. */
  plateEvidenceFor?: string;
}

/** The wire message for one lifecycle event; every message lists all evidence captured so far. */
export function detectionMessage(
  ev: LifecycleEvent,
  open: OpenViolation,
  ctx: { deviceId: string; cameraId: string; frame: FrameSize | null; sentAtMs: number },
): DetectionMessage {
  const c = ev.candidate;
  const msg: DetectionMessage = {
    v: 1,
    eventId: ev.eventId,
    seq: open.seq++,
    deviceId: ctx.deviceId,
    cameraId: ctx.cameraId,
    zoneId: c.zoneId,
    type: c.type,
    state: ev.state,
    label: c.label,
    confidence: round3(c.confidence),
    bbox: c.box && ctx.frame ? normalise(c.box, ctx.frame) : null,
    firstSeenAt: toIso(ev.firstSeenAtMs),
    discoveredAt: toIso(ev.discoveredAtMs),
    sentAt: toIso(ctx.sentAtMs),
    evidence: [...open.refs],
  };
  if (open.plate) msg.plate = { ...open.plate };
  if (c.sensorBayIds?.length) {
    msg.sensors = c.sensorBayIds.map((sensorId) => ({ sensorId, occupied: true, since: toIso(c.dwellStartMs) }));
  }
  if (ev.state === 'ended') {
    msg.endedAt = toIso(ev.endedAtMs ?? ctx.sentAtMs);
    msg.reason = ev.reason ?? 'left';
    if (ev.stayedSeconds !== undefined) msg.stayedSeconds = Math.round(ev.stayedSeconds * 10) / 10;
  }
  return msg;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const clamp01 = (n: number) => Math.min(1, Math.max(0, round3(n)));

export function normalise(b: PixelBox, f: FrameSize): NormBox {
  return { x1: clamp01(b.x1 / f.width), y1: clamp01(b.y1 / f.height), x2: clamp01(b.x2 / f.width), y2: clamp01(b.y2 / f.height) };
}
