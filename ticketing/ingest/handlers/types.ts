/** What every message handler gets: the message and the centre's stores, nothing else. */
import type { Logger } from '../../../common/logger.js';
import type { DetectionMessage, ParsedTopic } from '../../../contract/index.js';
import type { EvidenceStore } from '../../evidence-store.js';
import type { MetricsWriter } from '../../metrics-writer.js';
import type { DeadLetterCode } from '../dead-letters.js';
import type { DeviceStateStore } from '../device-state.js';
import type { EvidenceIndex } from '../evidence-index.js';

export interface IncomingMessage {
  topic: string;
  route: ParsedTopic;
  payload: Buffer;
  retained: boolean;
  receivedAt: Date;
}

export interface HandlerContext {
  evidence: EvidenceStore;
  evidenceIndex: EvidenceIndex;
  devices: DeviceStateStore;
  metrics: MetricsWriter;
  /** Idempotent: a detection already queued (same eventId + seq) is not queued again. */
  enqueueDetection(msg: DetectionMessage): Promise<'added' | 'duplicate'>;
  /** Dead-letters a problem found in a message that is still processed (e.g. one bad evidence ref). */
  report(msg: IncomingMessage, code: DeadLetterCode, reason: string): Promise<void>;
  /** How long a detection waits for evidence bytes still on their way (another ingest instance). */
  evidenceWaitMs: number;
  log: Logger;
}

/** Throws IngestRejection for a message to dead-letter; anything else thrown is an internal error. */
export type Handler = (msg: IncomingMessage, ctx: HandlerContext) => Promise<void>;
