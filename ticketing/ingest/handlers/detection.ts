import { detectionMessage } from '../../../contract/index.js';
import { detectionPoint } from '../../metrics-writer.js';
import { checkEvidence } from '../evidence-check.js';
import { checkDevice, checkTopicField, parsePayload } from '../rejection.js';
import type { Handler } from './types.js';

/**
 * A violation lifecycle message → one BullMQ job (id `<eventId>-<seq>`, so redeliveries and
 * duplicates make none). Evidence refs are checked first; see evidence-check.ts for the policy.
 */
export const handleDetection: Handler = async (msg, ctx) => {
  const detection = parsePayload(msg.payload, detectionMessage, 'detection', msg.receivedAt);
  checkDevice(msg.route, detection.deviceId);
  checkTopicField('cameraId', msg.route.cameraId, detection.cameraId);
  const { verified, problems } = await checkEvidence(detection.deviceId, detection.evidence, { index: ctx.evidenceIndex, store: ctx.evidence }, ctx.evidenceWaitMs);
  for (const p of problems) await ctx.report(msg, p.code, `detection ${detection.eventId}-${detection.seq}: ${p.reason}`);
  await ctx.enqueueDetection(problems.length ? { ...detection, evidence: verified } : detection);
  ctx.metrics.write(detectionPoint(detection));
};
