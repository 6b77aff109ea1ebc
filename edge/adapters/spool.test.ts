import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.js';
import { DROP_ORDER, MESSAGE_KINDS, Spool, SpoolFullError, type MessageKind, type SpoolMessage } from './spool.js';

const dirs: string[] = [];
function freshDir(): string {
  const d = tempDir('sw-spool-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const msg = (kind: MessageKind, body: string | Buffer, extra: Partial<SpoolMessage> = {}): SpoolMessage => ({
  topic: `sw/dev1/${kind}`,
  payload: Buffer.isBuffer(body) ? body : Buffer.from(body),
  qos: 1,
  retain: false,
  kind,
  ...extra,
});

async function drainAll(spool: Spool): Promise<SpoolMessage[]> {
  const out: SpoolMessage[] = [];
  for (let m = await spool.shift(); m; m = await spool.shift()) out.push(m);
  return out;
}

const bodies = (ms: SpoolMessage[]) => ms.map((m) => m.payload.toString());
const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.msg')).sort();

/** On-disk size of one record, measured rather than hard-coded so the tests follow the format. */
async function recordSize(m: SpoolMessage): Promise<number> {
  const s = await Spool.open(freshDir(), { maxBytes: 1e9, fsync: false });
  await s.append(m);
  return s.stats().bytes;
}

describe('Spool', () => {
  it('delivers in FIFO order across kinds with exact bytes, topic, qos and retain', async () => {
    const spool = await Spool.open(freshDir(), { maxBytes: 1 << 20, fsync: false });
    const jpeg = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    const input = [
      msg('telemetry', 't1', { qos: 0 }),
      msg('detection', 'd1'),
      msg('evidence', jpeg, { topic: 'sw/dev1/evidence/abc' }),
      msg('status', 's1', { retain: true }),
      msg('telemetry', 't2'),
    ];
    // Fired without awaiting each one: appends must still land in call order.
    const results = await Promise.all(input.map((m) => spool.append(m)));
    expect(results).toEqual([true, true, true, true, true]);
    expect(spool.stats()).toMatchObject({ messages: 5, byKind: { telemetry: 2, detection: 1, evidence: 1, status: 1 } });

    const out = await drainAll(spool);
    expect(out).toEqual(input);
    expect(out[2].payload.equals(jpeg)).toBe(true);
    expect(spool.stats()).toMatchObject({ messages: 0, bytes: 0 });
    await spool.flush();
    expect(readdirSync(spool.dir)).toEqual([]);
  });

  it('keeps pending messages across a reopen, in order, and continues numbering after them', async () => {
    const dir = freshDir();
    const a = await Spool.open(dir, { maxBytes: 1 << 20 });
    for (let i = 1; i <= 5; i++) await a.append(msg(i % 2 ? 'detection' : 'telemetry', `m${i}`));
    await a.ack(a.peek()!.seq); // m1 delivered before the "crash"
    await a.flush();

    const b = await Spool.open(dir, { maxBytes: 1 << 20 });
    expect(b.stats().messages).toBe(4);
    await b.append(msg('sensor', 'm6'));
    expect(bodies(await drainAll(b))).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('ignores a torn last record and leftover temp files on reopen', async () => {
    const dir = freshDir();
    const a = await Spool.open(dir, { maxBytes: 1 << 20, fsync: false });
    await a.append(msg('detection', 'first'));
    await a.append(msg('detection', 'second'));
    await a.append(msg('evidence', Buffer.alloc(1000, 7)));
    const names = files(dir);
    expect(names).toHaveLength(3);
    truncateSync(join(dir, names[2]), 500); // crash mid-write of the last record
    writeFileSync(join(dir, '0000000000000099.tmp'), 'half'); // write that never got renamed

    const b = await Spool.open(dir, { maxBytes: 1 << 20, fsync: false });
    expect(b.stats()).toMatchObject({ messages: 2, corrupt: 1 });
    expect(bodies(await drainAll(b))).toEqual(['first', 'second']);
    await b.flush();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('detects a damaged record by checksum when it is read, and skips it', async () => {
    const dir = freshDir();
    const a = await Spool.open(dir, { maxBytes: 1 << 20, fsync: false });
    await a.append(msg('detection', 'one'));
    await a.append(msg('detection', 'two'));
    await a.append(msg('detection', 'three'));
    const victim = join(dir, files(dir)[1]);
    const buf = readFileSync(victim);
    buf[buf.length - 1] ^= 0xff; // same size, flipped payload bit
    writeFileSync(victim, buf);

    const b = await Spool.open(dir, { maxBytes: 1 << 20, fsync: false });
    expect(b.stats().messages).toBe(3);
    expect(bodies(await drainAll(b))).toEqual(['one', 'three']);
    expect(b.stats().corrupt).toBe(1);
  });

  it('when full drops the oldest telemetry first, then sensor, never detections or evidence', async () => {
    // Every record has the same on-disk size: fixed topic, payload padded to even out the kind name.
    const same = (kind: MessageKind, tag: string) => msg(kind, tag.padEnd(109 - kind.length, '.'), { topic: 'sw/dev1/x' });
    const size = await recordSize(same('telemetry', 'x'));
    expect(await recordSize(same('sensor', 'x'))).toBe(size);
    expect(await recordSize(same('evidence', 'x'))).toBe(size);
    const spool = await Spool.open(freshDir(), { maxBytes: size * 6, fsync: false });

    for (const [kind, tag] of [
      ['telemetry', 't1'], ['sensor', 's1'], ['detection', 'd1'], ['telemetry', 't2'], ['evidence', 'e1'], ['telemetry', 't3'],
    ] as const) expect(await spool.append(same(kind, tag))).toBe(true);
    expect(spool.stats().messages).toBe(6);

    // Two precious messages arrive: the two oldest telemetry go, sensor stays while telemetry remains.
    await spool.append(same('detection', 'd2'));
    await spool.append(same('evidence', 'e2'));
    expect(spool.stats().dropped).toMatchObject({ telemetry: 2, sensor: 0, detection: 0, evidence: 0 });

    // Next: the last telemetry (t3), then the sensor reading.
    await spool.append(same('detection', 'd3'));
    await spool.append(same('detection', 'd4'));
    expect(spool.stats().dropped).toMatchObject({ telemetry: 3, sensor: 1, detection: 0, evidence: 0 });
    expect(spool.stats()).toMatchObject({ messages: 6, bytes: size * 6 });

    const tags = bodies(await drainAll(spool)).map((b) => b.replace(/\.+$/, ''));
    expect(tags).toEqual(['d1', 'e1', 'd2', 'e2', 'd3', 'd4']);
  });

  it('when full drops by kind in the documented order: telemetry, sensor, status, config, whatever their age', async () => {
    const same = (kind: MessageKind, tag: string) => msg(kind, tag.padEnd(109 - kind.length, '.'), { topic: 'sw/dev1/x' });
    const size = await recordSize(same('telemetry', 'x'));
    for (const kind of MESSAGE_KINDS) expect(await recordSize(same(kind, 'x')), kind).toBe(size);
    const spool = await Spool.open(freshDir(), { maxBytes: size * 4, fsync: false });
    // The most valuable droppable kind is the oldest here, so age alone would drop it first.
    for (const kind of ['config', 'status', 'sensor', 'telemetry'] as const) await spool.append(same(kind, kind));
    const droppedSoFar = () => DROP_ORDER.filter((k) => spool.stats().dropped[k] > 0);
    const order: MessageKind[][] = [];
    for (let i = 1; i <= 4; i++) {
      await spool.append(same('detection', `d${i}`));
      order.push(droppedSoFar());
    }
    expect(order).toEqual([['telemetry'], ['telemetry', 'sensor'], ['telemetry', 'sensor', 'status'], ['telemetry', 'sensor', 'status', 'config']]);
    expect(DROP_ORDER).toEqual(['telemetry', 'sensor', 'status', 'config']);
    expect(bodies(await drainAll(spool)).map((b) => b.replace(/\.+$/, ''))).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  it('a new telemetry message only displaces older telemetry, and is itself dropped if there is none', async () => {
    const same = (kind: MessageKind, tag: string) => msg(kind, tag.padEnd(59 - kind.length, '.'), { topic: 'sw/dev1/x' });
    const size = await recordSize(same('telemetry', 'x'));
    const spool = await Spool.open(freshDir(), { maxBytes: size * 3, fsync: false });
    await spool.append(same('sensor', 's1'));
    await spool.append(same('telemetry', 't1'));
    await spool.append(same('detection', 'd1'));
    expect(await spool.append(same('telemetry', 't2'))).toBe(true); // replaces t1, keeps the sensor reading
    expect(await spool.append(same('sensor', 's2'))).toBe(true); // sensor may push out telemetry (t2)
    expect(await spool.append(same('telemetry', 't3'))).toBe(false); // nothing cheaper left: t3 is dropped
    expect(spool.stats().dropped).toMatchObject({ telemetry: 3, sensor: 0 });
    expect(bodies(await drainAll(spool)).map((b) => b.replace(/\.+$/, ''))).toEqual(['s1', 'd1', 's2']);
  });

  it('refuses a detection with SpoolFullError when only precious messages remain, losing nothing', async () => {
    const size = await recordSize(msg('detection', 'x'.repeat(64)));
    const spool = await Spool.open(freshDir(), { maxBytes: size * 2 + 10, fsync: false });
    await spool.append(msg('detection', 'a'.repeat(64)));
    await spool.append(msg('evidence', 'b'.repeat(64)));
    const err = await spool.append(msg('detection', 'c'.repeat(64))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpoolFullError);
    expect(err).toMatchObject({ code: 'SPOOL_FULL', kind: 'detection' });
    // Oversized single message: refused up front, the queue is untouched.
    await expect(spool.append(msg('evidence', Buffer.alloc(size * 3)))).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.stats()).toMatchObject({ messages: 2, dropped: { detection: 0, evidence: 0 } });
    // The spool keeps working after a refusal.
    await spool.shift();
    expect(await spool.append(msg('detection', 'c'.repeat(64)))).toBe(true);
    expect(bodies(await drainAll(spool))).toEqual(['b'.repeat(64), 'c'.repeat(64)]);
  });

  it('reports depth in messages and bytes, and acking an unknown seq is harmless', async () => {
    const spool = await Spool.open(freshDir(), { maxBytes: 1 << 20, fsync: false });
    await spool.append(msg('telemetry', 'abc'));
    await spool.append(msg('config', 'defg', { retain: true }));
    const s = spool.stats();
    expect(s.messages).toBe(2);
    expect(s.bytes).toBeGreaterThan(7);
    expect(s.byKind).toMatchObject({ telemetry: 1, config: 1, detection: 0 });
    expect(s.maxBytes).toBe(1 << 20);
    const seqs = [...spool.pending()].map((e) => e.seq);
    expect(seqs[1]).toBeGreaterThan(seqs[0]);
    await spool.ack(424242);
    await spool.ack(seqs[0]);
    expect(spool.stats().messages).toBe(1);
    expect(await spool.read(seqs[0])).toBeUndefined();
    expect((await spool.read(seqs[1]))?.payload.toString()).toBe('defg');
  });
});
