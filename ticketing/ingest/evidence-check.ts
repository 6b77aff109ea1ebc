/**
 * Evidence policy: do the photos a detection lists match the bytes that arrived?
 *
 * The box publishes each photo (raw JPEG on `…/evidence/<evidenceId>`) BEFORE the detection that
 * lists it. The ingest stores every photo at once, content-addressed, and records (device,
 * evidenceId) → sha256 of what arrived (EvidenceIndex, kept at least a day). For each EvidenceRef
 * of a detection:
 *  - recorded sha = ref.sha256                     → verified;
 *  - recorded sha ≠ ref.sha256                     → `evidence_sha_mismatch` (tampered or corrupt);
 *  - nothing recorded, but bytes with ref.sha256 are stored → verified (the index entry expired in
 *    a long event, or another instance stored the bytes and is about to record them);
 *  - nothing recorded, no such bytes               → wait up to `waitMs` (with shared subscriptions
 *    the photo may be in the hands of another ingest instance), then `evidence_missing`.
 * A bad ref is dead-lettered on its own; the detection still becomes a job, carrying only its
 * verified refs: a real violation is not lost to a lost photo, and no order ever links to bytes
 * the centre does not hold or that differ from what the box described. Later messages of the same
 * event list all evidence again, so a photo that arrives late is picked up by them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EvidenceRef } from '../../contract/index.js';
import type { EvidenceStore } from '../evidence-store.js';
import type { DeadLetterCode } from './dead-letters.js';
import type { EvidenceIndex } from './evidence-index.js';

export interface EvidenceProblem {
  ref: EvidenceRef;
  code: Extract<DeadLetterCode, 'evidence_missing' | 'evidence_sha_mismatch'>;
  reason: string;
}

export interface EvidenceCheck {
  verified: EvidenceRef[];
  problems: EvidenceProblem[];
}

const POLL_MS = 100;

export async function checkEvidence(
  deviceId: string,
  refs: readonly EvidenceRef[],
  deps: { index: EvidenceIndex; store: EvidenceStore },
  waitMs: number,
): Promise<EvidenceCheck> {
  const deadline = Date.now() + waitMs;
  const out: EvidenceCheck = { verified: [], problems: [] };
  for (const ref of refs) {
    let arrived = await deps.index.lookup(deviceId, ref.evidenceId);
    while (arrived === null && !(await deps.store.has(ref.sha256)) && Date.now() < deadline) {
      await sleep(POLL_MS);
      arrived = await deps.index.lookup(deviceId, ref.evidenceId);
    }
    if (arrived === ref.sha256 || (arrived === null && (await deps.store.has(ref.sha256)))) {
      out.verified.push(ref);
    } else if (arrived === null) {
      out.problems.push({ ref, code: 'evidence_missing', reason: `evidence ${ref.evidenceId} (${ref.kind}, sha256 ${ref.sha256}): no bytes arrived` });
    } else {
      out.problems.push({ ref, code: 'evidence_sha_mismatch', reason: `evidence ${ref.evidenceId} (${ref.kind}): detection says sha256 ${ref.sha256}, bytes that arrived hash to ${arrived}` });
    }
  }
  return out;
}
