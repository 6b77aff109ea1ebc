/**
 * Evidence policy: do the photos a detection lists match the bytes that its own device sent?
 *
 * The box publishes each photo (raw JPEG on `…/evidence/<evidenceId>`) BEFORE the detection that
 * lists it. The ingest stores every photo at once, content-addressed, and records (device,
 * evidenceId) → sha256 of what arrived (EvidenceIndex). For each EvidenceRef of a detection:
 *  - recorded sha = ref.sha256 → verified;
 *  - recorded sha ≠ ref.sha256 → `evidence_sha_mismatch` (tampered or corrupt);
 *  - nothing recorded for this device → `evidence_missing`; the ingest first lets the detection
 *    wait a little (the photo may be in another ingest's hands), without holding anyone up.
 * Photos belong to the device that sent them: bytes another device uploaded never verify a ref,
 * even when their hash matches, so no order links a photo its own box did not take.
 * Bad refs are dead-lettered together, once per message; the detection still becomes a job,
 * carrying only its verified refs: a real violation is not lost to a lost photo. Later messages of
 * the same event list all evidence again, so a photo that arrives late is picked up by them.
 */
import type { EvidenceRef } from '../../contract/index.js';
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

/** One round trip, however many refs. */
export async function checkEvidence(deviceId: string, refs: readonly EvidenceRef[], index: EvidenceIndex): Promise<EvidenceCheck> {
  const arrived = await index.lookupMany(deviceId, refs.map((r) => r.evidenceId));
  const out: EvidenceCheck = { verified: [], problems: [] };
  refs.forEach((ref, i) => {
    const sha = arrived[i];
    if (sha === ref.sha256) out.verified.push(ref);
    else if (sha === null) out.problems.push({ ref, code: 'evidence_missing', reason: `evidence ${ref.evidenceId} (${ref.kind}, sha256 ${ref.sha256}): no bytes arrived from ${deviceId}` });
    else out.problems.push({ ref, code: 'evidence_sha_mismatch', reason: `evidence ${ref.evidenceId} (${ref.kind}): detection says sha256 ${ref.sha256}, bytes that arrived hash to ${sha}` });
  });
  return out;
}

const LISTED_PROBLEMS = 10;

/** One bounded reason for all of a message's evidence problems, and the code to file it under. */
export function summariseProblems(problems: readonly EvidenceProblem[]): { code: EvidenceProblem['code']; reason: string } {
  const code = problems.some((p) => p.code === 'evidence_sha_mismatch') ? 'evidence_sha_mismatch' : 'evidence_missing';
  const listed = problems.slice(0, LISTED_PROBLEMS).map((p) => p.reason);
  const more = problems.length - listed.length;
  return { code, reason: `${problems.length} bad evidence ref(s): ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}` };
}
