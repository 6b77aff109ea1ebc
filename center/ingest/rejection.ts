/**
 * Why a message is refused, as a typed error the handlers throw and the ingest turns into a dead
 * letter; plus the checks every JSON handler shares (bounded parse, schema, clock, topic ↔ payload ids).
 */
import type { z } from 'zod';
import { StreetWatchError } from '../../common/errors.js';
import { readDeviceMessage, type MessageProblem, type ParsedTopic } from '../../contract/index.js';
import type { DeadLetterCode } from './dead-letters.js';

export class IngestRejection extends StreetWatchError {
  declare readonly code: DeadLetterCode;

  constructor(code: DeadLetterCode, message: string) {
    super(code, message);
  }
}

/** Not an error: the message cannot be handled yet (its photos are still on their way); the ingest tries again shortly. */
export class TryLater extends Error {}

/** How each reading problem is dead-lettered; too deep is valid JSON that breaks the contract's bound. */
const CODE_OF: Record<MessageProblem, DeadLetterCode> = {
  too_large: 'oversized',
  not_json: 'bad_json',
  too_deep: 'schema_invalid',
  invalid: 'schema_invalid',
};

/** A box's JSON message checked against the contract (readDeviceMessage); the reason names the field. */
export function parsePayload<S extends z.ZodType>(payload: Buffer, schema: S, what: string, receivedAt: Date): z.output<S> {
  const res = readDeviceMessage(payload, schema, receivedAt);
  if (!res.ok) throw new IngestRejection(CODE_OF[res.problem], `${what}: ${res.reason}`);
  return res.value;
}

/** The topic names the device that published (the broker's ACL enforces it); the payload must agree. */
export function checkDevice(topic: ParsedTopic, payloadDeviceId: string): void {
  if (payloadDeviceId !== topic.deviceId) {
    throw new IngestRejection('device_mismatch', `deviceId: payload says ${JSON.stringify(payloadDeviceId)}, topic says ${JSON.stringify(topic.deviceId)}`);
  }
}

export function checkTopicField(field: string, inTopic: string | undefined, inPayload: string): void {
  if (inTopic !== inPayload) {
    throw new IngestRejection('topic_mismatch', `${field}: payload says ${JSON.stringify(inPayload)}, topic says ${JSON.stringify(inTopic)}`);
  }
}
