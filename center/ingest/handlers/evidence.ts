import { ulid } from '../../../contract/index.js';
import { IngestRejection } from '../rejection.js';
import type { Handler } from './types.js';

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/**
 * A photo, raw JPEG bytes, published by the box BEFORE the detection that lists it. Stored at once,
 * content-addressed, and what arrived for the evidenceId is recorded so that detection can be
 * checked against it (see evidence-check.ts). Nothing is queued here.
 */
export const handleEvidence: Handler = async (msg, ctx) => {
  const evidenceId = msg.route.evidenceId ?? '';
  if (!ulid.safeParse(evidenceId).success) throw new IngestRejection('schema_invalid', `evidence topic: evidenceId ${JSON.stringify(evidenceId)} must be a ULID`);
  if (msg.payload.length === 0) throw new IngestRejection('evidence_invalid', `evidence ${evidenceId}: empty payload`);
  if (!msg.payload.subarray(0, 3).equals(JPEG_MAGIC)) throw new IngestRejection('evidence_invalid', `evidence ${evidenceId}: not a JPEG`);
  const sha = await ctx.evidence.put(msg.payload);
  const first = await ctx.evidenceIndex.record(msg.route.deviceId, evidenceId, sha);
  if (first) {
    // First arrival wins: the bytes stay stored by their hash, but are not linked to the id.
    throw new IngestRejection('evidence_conflict', `evidence ${evidenceId}: arrived before as ${first}; these bytes hash to ${sha}`);
  }
};
