import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { frameAt, makeClip, tempDir, VTEST_SIZE } from '../../test/fixtures.js';
import { waitFor } from '../../test/helpers/wait.js';
import { openVideoSource, probeVideo, redactSource, VideoSource, type SourceFrame, type SourceStatus, type VideoSourceOptions } from './video-source.js';

let clip3: string; // 3 s of the real clip, 30 frames at 10 fps
let clip1: string; // 1 s
let tsClip: string; // 5 s MPEG-TS for the HTTP stream tests
const sources: VideoSource[] = [];

beforeAll(() => {
  const dir = tempDir('sw-video-');
  clip3 = makeClip(join(dir, 'c3.avi'), { seconds: 3 });
  clip1 = makeClip(join(dir, 'c1.avi'), { seconds: 1 });
  tsClip = makeClip(join(dir, 'c5.ts'), { seconds: 5 });
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function open(opts: Partial<VideoSourceOptions> & { source: string }): { src: VideoSource; statuses: SourceStatus[] } {
  const src = new VideoSource({ fps: 10, mode: 'fast', watchdogSeconds: 5, reconnect: { initialMs: 100, maxMs: 1000 }, ...opts });
  const statuses: SourceStatus[] = [];
  src.on('status', (s) => statuses.push(s));
  sources.push(src);
  return { src, statuses };
}

async function take(src: VideoSource, max = Infinity, perFrame?: (f: SourceFrame) => Promise<void> | void): Promise<SourceFrame[]> {
  const out: SourceFrame[] = [];
  if (max <= 0) return out;
  for await (const f of src) {
    out.push(f);
    await perFrame?.(f);
    if (out.length >= max) break; // break stops the source
  }
  return out;
}

function expectIncreasing(frames: SourceFrame[]): void {
  for (let i = 1; i < frames.length; i++) expect(frames[i].ptsMs).toBeGreaterThan(frames[i - 1].ptsMs);
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('redactSource', () => {
  it('hides camera credentials anywhere in a text', () => {
    expect(redactSource('ffmpeg -i rtsp://admin:s3cret@10.0.0.5:554/stream1 -f rawvideo')).toBe(
      'ffmpeg -i rtsp://***@10.0.0.5:554/stream1 -f rawvideo',
    );
    expect(redactSource('http://10.0.0.5/cam')).toBe('http://10.0.0.5/cam');
  });
});

describe('probeVideo', () => {
  it('reads size, fps and duration of a file', async () => {
    const info = await probeVideo(clip3);
    expect(info).toMatchObject({ width: 768, height: 576, fps: 10 });
    expect(info.durationSeconds).toBeCloseTo(3, 1);
  });

  it('names the path when the file is missing', async () => {
    await expect(probeVideo('/nonexistent/cam.avi')).rejects.toThrow(/\/nonexistent\/cam\.avi/);
  });
});

describe('VideoSource, files', () => {
  it('fast mode at fps 10 yields every frame with exact size and pts', async () => {
    const { src, statuses } = open({ source: clip3 });
    await src.start();
    const frames = await take(src);
    expect(frames).toHaveLength(30);
    frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.frame.width).toBe(VTEST_SIZE.width);
      expect(f.frame.height).toBe(VTEST_SIZE.height);
      expect(f.frame.data.length).toBe(768 * 576 * 3);
      expect(Math.abs(f.ptsMs - i * 100)).toBeLessThan(100);
    });
    expect(frames[0].ptsMs).toBe(0);
    expectIncreasing(frames);
    // Real, aligned pixels: frame 15 matches ffmpeg's own decode of the clip at 1.5 s.
    const ref = frameAt(1.5, clip3);
    let diff = 0;
    for (let i = 0; i < ref.data.length; i++) diff += Math.abs(ref.data[i] - frames[15].frame.data[i]);
    expect(diff / ref.data.length).toBeLessThan(1);
    expect(frames[0].frame.data.equals(frames[29].frame.data)).toBe(false);
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'connected', 'ended']);
  });

  it('openVideoSource reports the start-up statuses to onStatus', async () => {
    const seen: string[] = [];
    const src = await openVideoSource({ source: clip1, fps: 10, mode: 'fast', watchdogSeconds: 5, reconnect: { initialMs: 100, maxMs: 1000 } }, (s) =>
      seen.push(s.state),
    );
    sources.push(src);
    expect(seen).toEqual(['connecting']);
    expect(await take(src)).toHaveLength(10);
    expect(seen).toEqual(['connecting', 'connected', 'ended']);
  });

  it('fast mode at fps 2 resamples to 6 frames, 500 ms apart, scaled to the requested size', async () => {
    const { src } = open({ source: clip3, fps: 2, width: 384 });
    const frames = await take(src); // iterating starts the source
    expect(frames).toHaveLength(6);
    frames.forEach((f, i) => {
      expect(f.frame).toMatchObject({ width: 384, height: 288 });
      expect(f.frame.data.length).toBe(384 * 288 * 3);
      expect(Math.abs(f.ptsMs - i * 500)).toBeLessThan(500);
    });
    expectIncreasing(frames);
  });

  it('fast mode with a slow consumer pauses ffmpeg: nothing dropped, backlog bounded', async () => {
    const { src } = open({ source: clip3, width: 192, height: 144, maxQueue: 3 });
    const frames = await take(src, Infinity, () => sleep(15));
    expect(frames.map((f) => f.index)).toEqual([...Array(30).keys()]);
    expect(src.stats.dropped).toBe(0);
    // 192x144 frames are 83 KB; without backpressure ffmpeg would have decoded all 30 long before.
    expect(src.stats.maxBacklog).toBeLessThanOrEqual(4);
  });

  it('realtime mode takes about real time', async () => {
    const { src, statuses } = open({ source: clip3, mode: 'realtime' });
    const t0 = Date.now();
    const frames = await take(src);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(0.7 * 3000);
    expect(frames.length + src.stats.dropped).toBe(30);
    expect(frames.length).toBeGreaterThanOrEqual(28); // a consumer that keeps up loses (almost) nothing
    expectIncreasing(frames);
    expect(statuses.at(-1)?.state).toBe('ended');
  });

  it('realtime mode drops old frames for a slow consumer and keeps the newest', async () => {
    const { src } = open({ source: clip1, mode: 'realtime', width: 192, height: 144 });
    const frames = await take(src, Infinity, () => sleep(300));
    const { dropped, produced } = src.stats;
    expect(produced).toBe(10);
    expect(frames.length + dropped).toBe(10);
    expect(dropped).toBeGreaterThanOrEqual(4);
    expect(frames.at(-1)?.index).toBe(9); // the last frame of the clip was kept, older ones dropped
    expectIncreasing(frames);
  });

  it('loop mode keeps going past the end with increasing timestamps', async () => {
    const { src, statuses } = open({ source: clip1, loop: true, width: 192, height: 144 });
    const frames = await take(src, 35);
    expect(frames).toHaveLength(35);
    expectIncreasing(frames);
    frames.forEach((f, i) => expect(Math.abs(f.ptsMs - i * 100)).toBeLessThan(100));
    expect(frames[34].ptsMs).toBeGreaterThan(3000);
    // Frame 10 is the first frame again: same picture, later time.
    expect(frames[10].frame.data.equals(frames[0].frame.data)).toBe(true);
    expect(statuses.some((s) => s.state === 'ended')).toBe(false);
  });

  it('loop mode in realtime is paced across loops', async () => {
    const { src } = open({ source: clip1, loop: true, mode: 'realtime', width: 192, height: 144 });
    const t0 = Date.now();
    const frames = await take(src, 15);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(0.7 * 1500);
    expect(frames.at(-1)!.ptsMs).toBeGreaterThan(1000);
    expectIncreasing(frames);
  });

  it('a missing file fails fast with an error naming the path', async () => {
    const { src, statuses } = open({ source: '/nonexistent/street-cam.avi' });
    const t0 = Date.now();
    await expect(src.start()).rejects.toThrow('/nonexistent/street-cam.avi');
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(take(src)).rejects.toThrow(/not found.*street-cam\.avi/);
    expect(statuses).toEqual([{ state: 'error', message: expect.stringContaining('street-cam.avi'), fatal: true }]);
    expect(src.pid).toBeUndefined();
  });

  it('a file that is not a video fails with the reason, probed or not', async () => {
    const junk = join(tempDir('sw-junk-'), 'junk.avi');
    writeFileSync(junk, 'this is not a video '.repeat(100));
    const probed = open({ source: junk });
    await expect(probed.src.start()).rejects.toThrow(/cannot probe video source .*junk\.avi: .*Invalid data/);
    // With a given size there is no probe: ffmpeg itself fails and the iterator reports it.
    const sized = open({ source: junk, width: 64, height: 48 });
    await expect(take(sized.src)).rejects.toThrow(/ffmpeg failed on .*junk\.avi/);
    expect(sized.statuses.at(-1)).toMatchObject({ state: 'error', fatal: true });
  });

  it('decodeThreads bounds ffmpeg\'s threads; 0 leaves them to ffmpeg', async () => {
    const threadsOf = async (decodeThreads: number) => {
      const { src } = open({ source: clip3, mode: 'realtime', loop: true, decodeThreads });
      await src.start();
      const it = src[Symbol.asyncIterator]();
      await it.next();
      const n = readdirSync(`/proc/${src.pid}/task`).length;
      await src.stop();
      return n;
    };
    const one = await threadsOf(1);
    const auto = await threadsOf(0);
    expect(one).toBeLessThan(auto);
    expect(await threadsOf(2)).toBeGreaterThan(one);
  });

  it('stop() kills ffmpeg and leaves no process behind', async () => {
    const { src } = open({ source: clip3, mode: 'realtime', loop: true });
    await src.start();
    const frames: SourceFrame[] = [];
    const it = src[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) frames.push((await it.next()).value as SourceFrame);
    const pid = src.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pidGone(pid)).toBe(false);
    await src.stop();
    expect(pidGone(pid)).toBe(true);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});

describe('VideoSource, HTTP stream', () => {
  let server: Server;
  let url: string;
  let stall = false;
  let requests = 0;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    const data = readFileSync(tsClip);
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      if (!stall) return void res.end(data);
      // A camera that hangs: part of the stream, then silence with the connection left open.
      res.write(data.subarray(0, Math.floor(data.length * 0.6)));
      held.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cam`;
  });

  afterAll(async () => {
    held.forEach((r) => r.destroy());
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('probes a stream over HTTP', async () => {
    stall = false;
    expect(await probeVideo(url)).toMatchObject({ width: 768, height: 576, fps: 10 });
  });

  it('a stream that stops sending is reported stalled, restarted, and frames resume', async () => {
    stall = true;
    requests = 0;
    const { src, statuses } = open({ source: url, watchdogSeconds: 1, width: 384, height: 288 });
    src.on('status', (s) => {
      if (s.state === 'stalled') stall = false; // the "camera" recovers
    });
    const before: SourceFrame[] = [];
    const after: SourceFrame[] = [];
    await take(src, Infinity, (f) => {
      (statuses.some((s) => s.state === 'stalled') ? after : before).push(f);
      return after.length >= 20 ? src.stop() : undefined;
    });
    const states = statuses.map((s) => s.state);
    expect(before.length).toBeGreaterThan(5); // frames flowed before the stall
    expect(states.slice(0, 3)).toEqual(['connecting', 'connected', 'stalled']);
    expect(states).toContain('reconnecting');
    expect(states.filter((s) => s === 'connected')).toHaveLength(2);
    expect(after.length).toBe(20);
    expect(requests).toBeGreaterThanOrEqual(2);
    const all = [...before, ...after];
    expectIncreasing(all);
    // The second connection starts the clip again; its timeline continues after the first one.
    expect(after[0].ptsMs).toBeGreaterThan(before.at(-1)!.ptsMs);
    expect(src.stats.restarts).toBeGreaterThanOrEqual(1);
  });

  it('reconnects with backoff while the stream is unreachable', async () => {
    const { src, statuses } = open({ source: 'http://127.0.0.1:9/nothing', watchdogSeconds: 1, width: 64, height: 48, reconnect: { initialMs: 50, maxMs: 200 } });
    await src.start(); // network sources do not reject: they keep retrying
    const reconnecting = () => statuses.filter((s): s is Extract<SourceStatus, { state: 'reconnecting' }> => s.state === 'reconnecting');
    // Each attempt starts an ffmpeg that fails; on a loaded machine that alone can take a while.
    await waitFor(() => reconnecting().length >= 3, 'three reconnect attempts', 10_000);
    const retries = reconnecting();
    expect(retries.slice(0, 3).map((r) => r.delayMs)).toEqual([50, 100, 200]);
    expect(retries.every((r) => r.delayMs <= 200)).toBe(true);
    expect(statuses.some((s) => s.state === 'error' && !s.fatal)).toBe(true);
    await src.stop();
    const count = statuses.length;
    await sleep(300);
    expect(statuses.length).toBe(count); // no retries after stop
  });
});
