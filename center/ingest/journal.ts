/**
 * The ingest journal: every message a device publishes is appended to one Redis stream BEFORE the
 * device gets its acknowledgement, and the ingest works the stream off with a consumer group.
 *
 * The box deletes what the broker acknowledged, so an acknowledgement must mean the message is
 * safe. aedes sends the QoS 1 PUBACK before it stores or forwards a message, and an MQTT
 * subscriber's persisted queue is only as safe as the broker's own store; the journal makes the
 * acknowledgement wait for Redis instead (with AOF on, a killed Redis keeps every reply it sent).
 * A consumer that dies leaves its entries pending in the group: they are read again from its
 * pending list when it comes back under the same name, or claimed by another consumer once idle.
 * An entry is deleted only after its message was handled, so a backlog of any size survives.
 */
import { Command } from 'ioredis';
import { replicasHolding, type RedisClient } from '../../common/redis.js';
import { failOnError } from './dead-letters.js';

export interface JournalEntry {
  /** Stream entry id. */
  id: string;
  topic: string;
  payload: Buffer;
  retained: boolean;
  /** When it was appended (epoch ms): the centre's receive time. */
  receivedAt: number;
}

export interface JournalMessage {
  topic: string;
  payload: Buffer;
  retained: boolean;
}

export const JOURNAL_GROUP = 'ingest';

export const journalKey = (prefix: string): string => `${prefix}:ingest:journal`;

/** Once a master had no replica answering, appends stop waiting for one for this long. */
const NO_REPLICA_RECHECK_MS = 5000;

export interface JournalWriterOptions {
  now?: () => number;
  /**
   * Wait up to this long after each append until a replica holds it (Redis WAIT): replication is
   * asynchronous, and a master that dies before passing an entry on would lose a message its device
   * was told is safe. 0 (default): no wait.
   */
  replicaAckMs?: number;
  /** The master had no replica answering in time: the message is acknowledged all the same. */
  onNoReplica?: () => void;
}

/** Appends; used by whatever receives device messages (the embedded broker, or an MQTT subscriber). */
export class JournalWriter {
  private readonly key: string;
  private readonly now: () => number;
  /** Until when appends do not wait for a replica (none answered the last wait). */
  private noReplicaUntil = 0;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly opts: JournalWriterOptions = {},
  ) {
    this.key = journalKey(prefix);
    this.now = opts.now ?? Date.now;
  }

  /** Resolves once Redis (and, with `replicaAckMs`, a replica) holds the message: only then may it be acknowledged. */
  async append(m: JournalMessage): Promise<string> {
    const id = (await this.redis.xadd(this.key, '*', 't', m.topic, 'p', m.payload, 'r', m.retained ? '1' : '0', 'at', String(this.now())))!;
    if ((this.opts.replicaAckMs ?? 0) > 0) await this.replicaHolds();
    return id;
  }

  /** Appends whose XADD was answered and that wait for the next WAIT. */
  private waiters: Array<() => void> = [];
  private waiting = false;

  /**
   * One WAIT covers every write answered before it was sent, and WAIT blocks its connection: so the
   * appends of a pipelined batch share one, instead of queueing one each behind one another.
   */
  private replicaHolds(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.waiting) void this.waitForReplicas();
    });
  }

  private async waitForReplicas(): Promise<void> {
    this.waiting = true;
    while (this.waiters.length) {
      const covered = this.waiters.splice(0);
      // A master without a replica (after a failover, until one is added) must not slow every message.
      if (this.now() >= this.noReplicaUntil && (await replicasHolding(this.redis, this.key, this.opts.replicaAckMs!).catch(() => 0)) < 1) {
        this.opts.onNoReplica?.();
        this.noReplicaUntil = this.now() + NO_REPLICA_RECHECK_MS;
      }
      for (const done of covered) done();
    }
    this.waiting = false;
  }

  /** Entries not yet handled (appended and not deleted). */
  length(): Promise<number> {
    return this.redis.xlen(this.key);
  }
}

/**
 * One consumer of the group. Reads its own pending entries first (what it held when it died), then
 * new ones; `claimIdle` takes over entries another consumer held too long.
 */
export class JournalReader {
  private readonly key: string;
  /** Where the read of this consumer's own pending entries has got to; null once it is through. */
  private pendingCursor: string | null = '0';
  /** Where the next look for idle entries of others starts (XAUTOCLAIM's cursor). */
  private claimCursor = '0';

  /** `blocking` serves only the blocking reads: a connection of its own; `redis` does the rest. */
  constructor(
    private readonly blocking: RedisClient,
    private readonly redis: RedisClient,
    prefix: string,
    readonly consumer: string,
  ) {
    this.key = journalKey(prefix);
    // A read whose reply was lost with the connection left entries pending for us: read those again.
    blocking.on('ready', () => (this.pendingCursor = '0'));
  }

  /** Creates the group (from the start of the stream, so nothing appended before is skipped). */
  async init(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, JOURNAL_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /** Up to `count` entries: this consumer's own pending ones first, then new ones (waiting up to `blockMs`). */
  async read(count: number, blockMs: number): Promise<JournalEntry[]> {
    if (this.pendingCursor !== null) {
      const { entries, lastId } = await this.readGroup(count, null, this.pendingCursor);
      this.pendingCursor = lastId;
      if (entries.length || lastId !== null) return entries;
    }
    return (await this.readGroup(count, blockMs, '>')).entries;
  }

  /** Entries pending in other (dead) consumers for longer than `minIdleMs`, now this consumer's. */
  async claimIdle(minIdleMs: number, count = 100): Promise<JournalEntry[]> {
    // Sent as a Command: ioredis drops the name of a `callBuffer` command on an auto-pipelined connection.
    const command = new Command('XAUTOCLAIM', [this.key, JOURNAL_GROUP, this.consumer, minIdleMs, this.claimCursor, 'COUNT', count], { replyEncoding: null });
    const res = (await this.redis.sendCommand(command)) as [Buffer, RawEntry[], ...unknown[]];
    this.claimCursor = res[0].toString();
    return parseEntries(res[1]).entries;
  }

  /** Resets the idle time of entries this consumer is working on: they are not a dead consumer's. */
  async touch(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      // By name: XCLAIM's typed overloads do not resolve on the Redis | Cluster union.
      await this.redis.call('XCLAIM', this.key, JOURNAL_GROUP, this.consumer, 0, ...ids.slice(i, i + 500), 'JUSTID');
    }
  }

  /** Handled: acknowledged in the group and deleted from the stream. */
  async done(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.redis.multi().xack(this.key, JOURNAL_GROUP, ...ids).xdel(this.key, ...ids).exec().then(failOnError);
  }

  /** `lastId`: the last id read, null when there was none. */
  private async readGroup(count: number, blockMs: number | null, from: string): Promise<{ entries: JournalEntry[]; lastId: string | null }> {
    const block = blockMs === null ? [] : ['BLOCK', blockMs];
    const res = await this.blocking.callBuffer('XREADGROUP', 'GROUP', JOURNAL_GROUP, this.consumer, 'COUNT', count, ...block, 'STREAMS', this.key, from);
    const raw = firstStream(res);
    const { entries, gone } = parseEntries(raw);
    // Pending entries deleted meanwhile (handled elsewhere) only need to leave the pending list.
    if (gone.length) await this.redis.xack(this.key, JOURNAL_GROUP, ...gone);
    return { entries, lastId: raw.length ? raw[raw.length - 1][0].toString() : null };
  }
}

/** [id, [field, value, …]]; the fields are null for an entry deleted while it was pending. */
type RawEntry = [Buffer, Buffer[] | null];

/** XREADGROUP's one stream: RESP2 gives [[key, entries]], RESP3's map comes as [key, entries]. */
function firstStream(res: unknown): RawEntry[] {
  if (!Array.isArray(res) || !res.length) return [];
  return ((Buffer.isBuffer(res[0]) ? res[1] : (res[0] as unknown[])[1]) as RawEntry[] | undefined) ?? [];
}

function parseEntries(raw: readonly RawEntry[]): { entries: JournalEntry[]; gone: string[] } {
  const out: JournalEntry[] = [];
  const gone: string[] = [];
  for (const [id, fields] of raw) {
    if (!fields) {
      gone.push(id.toString());
      continue;
    }
    const f = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i].toString(), fields[i + 1]);
    out.push({
      id: id.toString(),
      topic: f.get('t')?.toString() ?? '',
      payload: f.get('p') ?? Buffer.alloc(0),
      retained: f.get('r')?.toString() === '1',
      receivedAt: Number(f.get('at')?.toString() ?? Date.now()),
    });
  }
  return { entries: out, gone };
}
