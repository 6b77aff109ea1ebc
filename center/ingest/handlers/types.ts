/** What every message handler gets: the message and the centre's stores, nothing else. */
import type { Logger } from '../../../common/logger.js';
import type { DetectionMessage, ParsedTopic } from '../../../contract/index.js';
import type { EvidenceStore } from '../../../ticketing/evidence-store.js';
import type { MetricsWriter } from '../../metrics/points.js';
import type { DeadLetterCode } from '../dead-letters.js';
import type { DeviceStateStore } from '../device-state.js';
import type { EvidenceIndex } from '../evidence-index.js';

export interface IncomingMessage {
  /** Its journal entry: one dead letter per entry, however often it is handled. */
  id: string;
  topic: string;
  route: ParsedTopic;
  payload: Buffer;
  retained: boolean;
  receivedAt: Date;
  /**
   * Waiting is over: handle it with what is there. Until then a handler may throw TryLater (a
   * detection whose photos are still on their way) and is called again shortly.
   */
  lastChance: boolean;
}

export interface HandlerContext {
  evidence: EvidenceStore;
  evidenceIndex: EvidenceIndex;
  devices: DeviceStateStore;
  metrics: MetricsWriter;
  /** Idempotent: a detection already queued (same eventId + seq) is not queued again. */
  enqueueDetection(msg: DetectionMessage): Promise<'added' | 'duplicate'>;
  /**
   * Dead-letters the problems found in a message that is still processed (e.g. bad evidence refs):
   * once per message, all its problems in the one reason.
   */
  report(msg: IncomingMessage, code: DeadLetterCode, reason: string): Promise<void>;
  log: Logger;
}

/** Throws IngestRejection for a message to dead-letter, TryLater to be called again; anything else is an internal error. */
export type Handler = (msg: IncomingMessage, ctx: HandlerContext) => Promise<void>;
