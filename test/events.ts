/** Reads what an edge replay or a broker subscriber captured and groups it per violation. */
import { readFileSync } from 'node:fs';
import { detectionMessage, type DetectionMessage } from '../contract/index.js';

export interface CapturedLine {
  topic: string;
  payload?: unknown;
  bytes?: number;
  sha256?: string;
}

export function readEvents(file: string): CapturedLine[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as CapturedLine);
}

/** Detection messages (validated against the contract) grouped by eventId, in arrival order. */
export function violations(messages: unknown[]): Map<string, DetectionMessage[]> {
  const byEvent = new Map<string, DetectionMessage[]>();
  for (const m of messages) {
    const d = detectionMessage.parse(m);
    byEvent.set(d.eventId, [...(byEvent.get(d.eventId) ?? []), d]);
  }
  return byEvent;
}

/** Distinct capture instants (ms) of a violation's evidence: full + crop of one moment count once. */
export function captureTimes(msgs: DetectionMessage[]): number[] {
  const last = msgs[msgs.length - 1];
  return [...new Set(last.evidence.filter((e) => e.kind !== 'plate').map((e) => Date.parse(e.capturedAt)))].sort((a, b) => a - b);
}
