/**
 * Why a message is refused, as a typed error the handlers throw and the ingest turns into a dead
 * letter; plus the checks every JSON handler shares (parse, schema, topic ↔ payload ids).
 */
import type { z } from 'zod';
import { StreetWatchError } from '../../common/errors.js';
import type { ParsedTopic } from '../../contract/index.js';
import type { DeadLetterCode } from './dead-letters.js';

export class IngestRejection extends StreetWatchError {
  declare readonly code: DeadLetterCode;

  constructor(code: DeadLetterCode, message: string) {
    super(code, message);
  }
}

/** Not an error: the message cannot be handled yet (its photos are still on their way); the ingest tries again shortly. */
export class TryLater extends Error {}

/** `what: field.path: problem; other.path: problem` — the path as in config errors. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

/** UTF-8 JSON validated against a contract schema; `bad_json` or `schema_invalid` otherwise. */
export function parsePayload<S extends z.ZodType>(payload: Buffer, schema: S, what: string): z.output<S> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (err) {
    throw new IngestRejection('bad_json', `${what}: not UTF-8 JSON (${(err as Error).message})`);
  }
  const res = schema.safeParse(doc);
  if (!res.success) throw new IngestRejection('schema_invalid', `${what}: ${describeIssues(res.error.issues)}`);
  return res.data;
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
