/**
 * Store-and-forward spool: outgoing MQTT messages wait here (on disk) until the broker acknowledges them.
 *
 * Layout: one file per message, `<16-digit seq>.msg`, replaced atomically (common/atomic-write.ts: temp, fsync, rename, directory fsync), so a
 * file either appears complete or not at all. Each file carries a header (magic, lengths, CRC-32) so a
 * record torn by power loss is detected and discarded on reopen (size check) or on read (CRC check).
 * One file per message also makes dropping from the middle of the queue a plain unlink.
 *
 * Budget policy (`maxBytes`, counted as on-disk record size):
 *  - Droppable kinds, least valuable first: telemetry, sensor, status, config. When a new message does
 *    not fit, the OLDEST message of the least valuable kind is dropped first, and so on up that list.
 *  - A new message never evicts a kind more valuable than itself: a new telemetry message only pushes
 *    out older telemetry; if that is not enough the new message itself is dropped (`append` → false).
 *  - Detections and evidence are precious: never dropped. A precious message that still does not fit
 *    once all droppable messages are gone is refused with `SpoolFullError` — the caller must log it.
 *  - Corrupt records (torn by a crash) are deleted and counted in `stats().corrupt`.
 *
 * Order: FIFO across all kinds (by sequence number), also across a reopen.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, fstatSync, unlinkSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../../common/atomic-write.js';
import { StreetWatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

export const MESSAGE_KINDS = ['telemetry', 'status', 'sensor', 'detection', 'evidence', 'config'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Least valuable first; kinds not listed (detection, evidence) are never dropped. */
export const DROP_ORDER: readonly MessageKind[] = ['telemetry', 'sensor', 'status', 'config'];

export interface SpoolMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  kind: MessageKind;
}

/** Index entry of a stored message; the payload stays on disk until `read`. */
export interface SpoolEntry {
  readonly seq: number;
  readonly kind: MessageKind;
  /** Record size on disk (header + metadata + payload); what the budget counts. */
  readonly bytes: number;
}

export interface SpoolStats {
  messages: number;
  bytes: number;
  maxBytes: number;
  byKind: Record<MessageKind, number>;
  dropped: Record<MessageKind, number>;
  /** Records found torn or damaged and discarded. */
  corrupt: number;
}

export interface SpoolOptions {
  maxBytes: number;
  /** fsync each record and the directory before counting it stored (default true; tests may turn it off). */
  fsync?: boolean;
  logger?: Logger;
}

export class SpoolFullError extends StreetWatchError {
  constructor(
    readonly kind: MessageKind,
    readonly bytes: number,
    readonly stats: SpoolStats,
  ) {
    super(
      'SPOOL_FULL',
      `spool full: refusing ${kind} message of ${bytes} bytes ` +
        `(holding ${stats.bytes}/${stats.maxBytes} bytes in ${stats.messages} messages; detections and evidence are never dropped)`,
    );
  }
}

const MAGIC = 0x53575331; // "SWS1"
const HEADER = 16; // magic, metaLen, payloadLen, crc32(meta + payload), all u32 BE
const SUFFIX = '.msg';
const NAME = /^(\d{16})\.msg$/;

const zeroCounts = (): Record<MessageKind, number> =>
  Object.fromEntries(MESSAGE_KINDS.map((k) => [k, 0])) as Record<MessageKind, number>;

export class Spool {
  /** seq → entry; Map keeps insertion order and appends use rising seqs, so iteration is FIFO. */
  private readonly index = new Map<number, SpoolEntry>();
  /** Per kind, seqs oldest first (insertion-ordered Set: O(1) delete), so "oldest telemetry" needs no scan. */
  private readonly byKind = new Map<MessageKind, Set<number>>(MESSAGE_KINDS.map((k) => [k, new Set()]));
  private bytes = 0;
  private readonly bytesByKind = zeroCounts();
  private readonly dropped = zeroCounts();
  private corrupt = 0;
  /** Appends run one at a time so entries become visible strictly in seq order. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly unlinks = new Set<Promise<void>>();

  private constructor(
    readonly dir: string,
    private readonly opts: Required<Omit<SpoolOptions, 'logger'>> & { logger?: Logger },
    private nextSeq: number,
  ) {}

  /** Opens (creating if needed) a spool directory and indexes the messages left from earlier runs. */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    if (!(options.maxBytes > 0)) throw new StreetWatchError('SPOOL_CONFIG', `spool maxBytes must be > 0, got ${options.maxBytes}`);
    mkdirSync(dir, { recursive: true });
    const found: number[] = [];
    for (const name of readdirSync(dir)) {
      const m = NAME.exec(name);
      if (m) found.push(Number(m[1]));
      else if (name.endsWith('.tmp')) unlinkSync(join(dir, name)); // a write that never got renamed
    }
    found.sort((a, b) => a - b);
    const spool = new Spool(dir, { fsync: true, ...options }, (found.at(-1) ?? 0) + 1);
    for (const seq of found) {
      const entry = spool.inspect(seq);
      if (entry) spool.add(entry);
      else spool.discardCorrupt(seq, 'torn or damaged record');
    }
    return spool;
  }

  /**
   * Stores a message. Resolves true once it is on disk, false if it was itself dropped (a droppable
   * kind with no room); rejects with SpoolFullError for a detection/evidence that cannot fit.
   */
  append(msg: SpoolMessage): Promise<boolean> {
    const run = this.chain.then(() => this.write(msg));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Pending entries, oldest first. */
  pending(): IterableIterator<SpoolEntry> {
    return this.index.values();
  }

  peek(): SpoolEntry | undefined {
    return this.index.values().next().value;
  }

  has(seq: number): boolean {
    return this.index.has(seq);
  }

  /** Loads a message; undefined if it was dropped/acked meanwhile or turned out corrupt (then discarded). */
  async read(seq: number): Promise<SpoolMessage | undefined> {
    if (!this.index.has(seq)) return undefined;
    let buf: Buffer;
    try {
      buf = await readFile(this.file(seq));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const msg = decode(buf);
    if (!msg) {
      if (this.index.has(seq)) this.discardCorrupt(seq, 'checksum mismatch');
      return undefined;
    }
    return msg;
  }

  /** Removes a delivered message. Unknown seqs (already dropped) are ignored. */
  async ack(seq: number): Promise<void> {
    if (this.remove(seq)) await this.unlinkQuietly(seq);
  }

  /** Convenience for simple consumers: read and remove the oldest message. */
  async shift(): Promise<SpoolMessage | undefined> {
    for (let head = this.peek(); head; head = this.peek()) {
      const msg = await this.read(head.seq);
      await this.ack(head.seq);
      if (msg) return msg;
    }
    return undefined;
  }

  stats(): SpoolStats {
    const byKind = zeroCounts();
    for (const k of MESSAGE_KINDS) byKind[k] = this.byKind.get(k)!.size;
    const { index, bytes, opts, dropped, corrupt } = this;
    return { messages: index.size, bytes, maxBytes: opts.maxBytes, byKind, dropped: { ...dropped }, corrupt };
  }

  /** Waits for queued appends and unlinks; the spool stays usable. */
  async flush(): Promise<void> {
    await this.chain;
    await Promise.all([...this.unlinks]);
  }

  private async write(msg: SpoolMessage): Promise<boolean> {
    const record = encode(msg);
    if (!this.makeRoom(msg.kind, record.length)) {
      if (DROP_ORDER.includes(msg.kind)) {
        this.dropped[msg.kind]++;
        this.opts.logger?.warn({ kind: msg.kind, bytes: record.length }, 'spool full: dropped new message');
        return false;
      }
      throw new SpoolFullError(msg.kind, record.length, this.stats());
    }
    const seq = this.nextSeq++;
    await writeFileAtomic(this.file(seq), record, { durable: this.opts.fsync });
    this.add({ seq, kind: msg.kind, bytes: record.length });
    return true;
  }

  /** Evicts droppable messages (never more valuable than `kind`) until `size` fits; false if it cannot. */
  private makeRoom(kind: MessageKind, size: number): boolean {
    const max = this.opts.maxBytes;
    if (size > max) return false;
    const rank = DROP_ORDER.indexOf(kind);
    const victims = rank < 0 ? DROP_ORDER : DROP_ORDER.slice(0, rank + 1);
    if (this.bytes + size <= max) return true;
    // Check first so a message that will be refused anyway does not cost other messages.
    const reclaimable = victims.reduce((sum, k) => sum + this.bytesByKind[k], 0);
    if (this.bytes - reclaimable + size > max) return false;
    for (const k of victims) {
      for (const seq of this.byKind.get(k)!) {
        if (this.bytes + size <= max) return true;
        this.remove(seq); // deleting the current element while iterating a Set is safe
        this.dropped[k]++;
        this.opts.logger?.warn({ kind: k, seq }, 'spool full: dropped oldest droppable message');
        void this.unlinkQuietly(seq);
      }
    }
    return true;
  }

  /** Reads header + metadata of a stored record; undefined if the file is torn or not ours. */
  private inspect(seq: number): SpoolEntry | undefined {
    const fd = openSync(this.file(seq), 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < HEADER) return undefined;
      const head = Buffer.alloc(HEADER);
      readSync(fd, head, 0, HEADER, 0);
      if (head.readUInt32BE(0) !== MAGIC) return undefined;
      const metaLen = head.readUInt32BE(4);
      const payloadLen = head.readUInt32BE(8);
      if (HEADER + metaLen + payloadLen !== size) return undefined;
      const meta = Buffer.alloc(metaLen);
      readSync(fd, meta, 0, metaLen, HEADER);
      const kind = parseMeta(meta)?.kind;
      return kind ? { seq, kind, bytes: size } : undefined;
    } finally {
      closeSync(fd);
    }
  }

  private add(entry: SpoolEntry): void {
    this.index.set(entry.seq, entry);
    this.byKind.get(entry.kind)!.add(entry.seq);
    this.bytes += entry.bytes;
    this.bytesByKind[entry.kind] += entry.bytes;
  }

  private remove(seq: number): boolean {
    const entry = this.index.get(seq);
    if (!entry) return false;
    this.index.delete(seq);
    this.byKind.get(entry.kind)!.delete(seq);
    this.bytes -= entry.bytes;
    this.bytesByKind[entry.kind] -= entry.bytes;
    return true;
  }

  private discardCorrupt(seq: number, why: string): void {
    this.corrupt++;
    this.remove(seq);
    this.opts.logger?.warn({ seq, file: this.file(seq) }, `spool: discarding ${why}`);
    void this.unlinkQuietly(seq);
  }

  private unlinkQuietly(seq: number): Promise<void> {
    const p = unlink(this.file(seq)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.opts.logger?.error({ err, seq }, 'spool: cannot delete record');
    });
    this.unlinks.add(p);
    return p.finally(() => this.unlinks.delete(p));
  }

  private file(seq: number): string {
    return join(this.dir, String(seq).padStart(16, '0') + SUFFIX);
  }
}

type Meta = Omit<SpoolMessage, 'payload'>;

function encode(msg: SpoolMessage): Buffer {
  const meta = Buffer.from(JSON.stringify({ topic: msg.topic, qos: msg.qos, retain: msg.retain, kind: msg.kind } satisfies Meta));
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(meta.length, 4);
  header.writeUInt32BE(msg.payload.length, 8);
  header.writeUInt32BE(crc32(msg.payload, crc32(meta)), 12);
  return Buffer.concat([header, meta, msg.payload]);
}

function decode(buf: Buffer): SpoolMessage | undefined {
  if (buf.length < HEADER || buf.readUInt32BE(0) !== MAGIC) return undefined;
  const metaLen = buf.readUInt32BE(4);
  const payloadLen = buf.readUInt32BE(8);
  if (HEADER + metaLen + payloadLen !== buf.length) return undefined;
  const meta = buf.subarray(HEADER, HEADER + metaLen);
  const payload = buf.subarray(HEADER + metaLen);
  if (crc32(payload, crc32(meta)) !== buf.readUInt32BE(12)) return undefined;
  const m = parseMeta(meta);
  return m && { ...m, payload };
}

function parseMeta(meta: Buffer): Meta | undefined {
  try {
    const m = JSON.parse(meta.toString('utf8')) as Meta;
    const ok = typeof m.topic === 'string' && (m.qos === 0 || m.qos === 1) && typeof m.retain === 'boolean' && MESSAGE_KINDS.includes(m.kind);
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}
