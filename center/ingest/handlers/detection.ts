import { detectionMessage } from '../../../contract/index.js';
import { detectionPoint } from '../../metrics/points.js';
import { checkEvidence, summariseProblems } from '../evidence-check.js';
import { checkDevice, checkTopicField, parsePayload, TryLater } from '../rejection.js';
import type { Handler } from './types.js';

/**
 * A violation lifecycle message → one BullMQ job (id `<eventId>-<seq>`, so redeliveries and
 * duplicates make none). Evidence refs are checked first; see evidence-check.ts for the policy.
 */
export const handleDetection: Handler = async (msg, ctx) => {
  const detection = parsePayload(msg.payload, detectionMessage, 'detection', msg.receivedAt);
  checkDevice(msg.route, detection.deviceId);
  checkTopicField('cameraId', msg.route.cameraId, detection.cameraId);
  const { verified, problems } = await checkEvidence(detection.deviceId, detection.evidence, ctx.evidenceIndex);
  if (!msg.lastChance && problems.some((p) => p.code === 'evidence_missing')) throw new TryLater('evidence still on its way');
  if (problems.length) {
    const { code, reason } = summariseProblems(problems);
    await ctx.report(msg, code, `detection ${detection.eventId}-${detection.seq}: ${reason}`);
  }
  await ctx.enqueueDetection(problems.length ? { ...detection, evidence: verified } : detection);
  ctx.metrics.write(detectionPoint(detection));
};
