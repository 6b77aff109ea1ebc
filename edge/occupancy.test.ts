/**
 * Scene occupancy on real footage: the example clip with a stall, goods or a person pasted in by
 * ffmpeg, lit differently or shaken, through the whole camera pipeline with the real detector.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionMessage } from '../contract/index.js';
import { iou } from '../detector/nms.js';
import { tempDir, VTEST, VTEST_SIZE } from '../test/fixtures.js';
import { EdgePublisher } from './adapters/outbox.js';
import { openVideoSource } from './adapters/video-source.js';
import { CameraPipeline } from './camera-pipeline.js';
import { edgeConfigSchema, type EdgeConfig } from './config.js';
import { loadDetector, type TimedDetector } from './model-updates/load-detector.js';

const T0 = Date.UTC(2026, 0, 5, 9);
const FPS = 5;
const PLAZA = [[0.35, 0.25], [0.85, 0.25], [0.85, 0.6], [0.35, 0.6]] as [number, number][];
const config = edgeConfigSchema.parse({
  device: { id: 'pole-1' },
  mqtt: { url: 'mqtt://127.0.0.1:1' },
  detector: { workers: 1 },
  cameras: [
    {
      id: 'cam-1', source: 'unused', fps: FPS,
      zones: [
        { id: 'kerb', kind: 'no_parking', polygon: [[0.8, 0.04], [1, 0.04], [1, 0.22], [0.8, 0.22]], dwellSeconds: 30 },
        { id: 'plaza', kind: 'no_vending', polygon: PLAZA, dwellSeconds: 15, obstructions: true },
        // The same pavement watched by a zone that does not report goods left alone.
        { id: 'square', kind: 'no_vending', polygon: PLAZA, dwellSeconds: 15 },
      ],
    },
  ],
});

/** A stall drawn as a blue tarp with crates and heaps of goods, textured with moving noise. */
const STALL_SOURCE = [
  'color=c=0x2f5f9a:s=112x64:r=10',
  'drawbox=x=6:y=6:w=30:h=22:c=0x8a5a2e:t=fill',
  'drawbox=x=40:y=8:w=28:h=20:c=0xd9822b:t=fill',
  'drawbox=x=72:y=6:w=34:h=24:c=0x8a5a2e:t=fill',
  'drawbox=x=10:y=36:w=40:h=20:c=0x6b8e23:t=fill',
  'drawbox=x=56:y=36:w=48:h=22:c=0xc23b22:t=fill',
  'noise=alls=30:allf=t',
].join(',');
const STALL = { x1: 470, y1: 262, x2: 582, y2: 326 };
/** A man cut from the clip at 30 s, standing (swaying a little) right of the stall. */
const KEEPER = '[1:v]trim=end_frame=1,crop=44:98:308:204,scale=iw*1.1:-2,loop=loop=-1:size=1,setpts=N/10/TB';
const keeperAt = (from: number, to: number, input: string) => `${KEEPER}[k];[${input}][k]overlay=x='588+3*sin(2*PI*0.3*t)':y=212:enable='between(t,${from},${to})':shortest=1`;
const stallAt = (from: number, to: number) => `${STALL_SOURCE}[s];[0:v][s]overlay=x=${STALL.x1}:y=${STALL.y1}:enable='between(t,${from},${to})':shortest=1`;

/** Writes `seconds` of the example clip through the filter graph (its output unlabelled: the last pad). */
function clip(out: string, seconds: number, graph: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', VTEST, '-ss', '30', '-i', VTEST, '-filter_complex', graph, '-t', String(seconds), '-c:v', 'mpeg4', '-q:v', '3', '-an', out]);
  return out;
}

interface Run {
  started: DetectionMessage[];
  /** Evidence photos by id. */
  photos: Map<string, Buffer>;
  /** Seconds into the clip at which the camera's alerts changed, with the alerts then. */
  alerts: { at: number; kinds: string[] }[];
}

let detector: TimedDetector;
let dir: string;
beforeAll(async () => {
  detector = await loadDetector(config);
  dir = tempDir('sw-occupancy-');
});
afterAll(() => detector.close());

/** Shaken ±48 px at 3-4 Hz from 10 s to 13 s. */
const SHAKE = "[0:v]pad=iw+96:ih+96:48:48,crop=768:576:x='48+48*sin(2*PI*t*3)*between(t,10,13)':y='48+48*cos(2*PI*t*4)*between(t,10,13)'";

async function play(video: string, cfg: EdgeConfig = config): Promise<Run> {
  const run: Run = { started: [], photos: new Map(), alerts: [] };
  let nowS = 0;
  const publisher = new EdgePublisher(
    {
      send: (m) => {
        if (m.kind === 'evidence') run.photos.set(m.topic.split('/').pop()!, m.payload);
        if (m.kind !== 'detection') return;
        const d = JSON.parse(String(m.payload)) as DetectionMessage;
        if (d.state === 'started') run.started.push(d);
      },
    },
    'r',
    'pole-1',
  );
  const camera = cfg.cameras[0];
  const pipeline = new CameraPipeline({
    config: cfg, camera, detector, publisher,
    onAlerts: () => run.alerts.push({ at: nowS, kinds: pipeline.alerts.map((a) => a.kind) }),
  });
  const source = await openVideoSource({ source: video, fps: FPS, mode: 'fast', watchdogSeconds: camera.watchdogSeconds, decodeThreads: 1, reconnect: camera.reconnect });
  try {
    for await (const { frame, ptsMs } of source) {
      await pipeline.flush(); // alerts are stamped with the frame that raised them
      nowS = ptsMs / 1000;
      await pipeline.push(frame, T0 + ptsMs);
    }
    await pipeline.flush();
  } finally {
    await source.stop();
  }
  return run;
}

const pixels = (b: { x1: number; y1: number; x2: number; y2: number }) => ({
  x1: b.x1 * VTEST_SIZE.width, y1: b.y1 * VTEST_SIZE.height, x2: b.x2 * VTEST_SIZE.width, y2: b.y2 * VTEST_SIZE.height,
});
const vendingTypes = (r: Run) => r.started.filter((d) => d.zoneId !== 'kerb').map((d) => `${d.zoneId}:${d.type}`);

describe('scene occupancy on the example clip', { timeout: 240_000 }, () => {
  it('finds a stall with its keeper once: one street_vending per zone, its box on the stall, photographed', async () => {
    const r = await play(clip(join(dir, 'stall.avi'), 35, `${stallAt(6, 35)}[v];${keeperAt(7, 35, 'v')}`));
    expect(vendingTypes(r)).toEqual(['plaza:street_vending', 'square:street_vending']);
    const [d] = r.started.filter((x) => x.zoneId === 'plaza');
    expect(iou(pixels(d.bbox!), STALL)).toBeGreaterThan(0.7);
    // Found at the dwell: 15 s after the stall appeared at 6 s (sampled every 0.5 s).
    expect((Date.parse(d.discoveredAt) - T0) / 1000).toBeGreaterThanOrEqual(21);
    expect((Date.parse(d.discoveredAt) - T0) / 1000).toBeLessThanOrEqual(23);
    expect(d.label).toBe('object');
    const crop = d.evidence.find((e) => e.kind === 'crop')!;
    expect(r.photos.get(crop.evidenceId)?.length).toBeGreaterThan(1000);
    writeFileSync(join(dir, 'stall-crop.jpg'), r.photos.get(crop.evidenceId)!);
    writeFileSync(join(dir, 'stall-full.jpg'), r.photos.get(d.evidence.find((e) => e.kind === 'full')!.evidenceId)!);
    expect(r.alerts).toEqual([]);
  });

  it('goods left with nobody near are an obstruction, only in the zone that reports them', async () => {
    const r = await play(clip(join(dir, 'goods.avi'), 30, stallAt(6, 30)));
    expect(vendingTypes(r)).toEqual(['plaza:obstruction']);
    expect(iou(pixels(r.started.find((d) => d.zoneId === 'plaza')!.bbox!), STALL)).toBeGreaterThan(0.7);
  });

  it('a stall there since the camera started and taken away later is nothing: its place is learnt as scene', async () => {
    const r = await play(clip(join(dir, 'ghost.avi'), 30, stallAt(0, 12)));
    expect(vendingTypes(r)).toEqual([]);
    expect(r.alerts).toEqual([]);
  });

  it('a person standing alone on the plaza is nothing', async () => {
    const r = await play(clip(join(dir, 'person.avi'), 35, keeperAt(5, 35, '0:v')));
    expect(vendingTypes(r)).toEqual([]);
  });

  it('a brightness ramp (dusk) is nothing', async () => {
    const r = await play(clip(join(dir, 'ramp.avi'), 40, "[0:v]eq=brightness='0.2-0.45*t/40':eval=frame"));
    expect(vendingTypes(r)).toEqual([]);
    expect(r.alerts).toEqual([]);
  });

  it('a shaken camera pauses its rules with camera_moved, and resumes once steady again', async () => {
    const r = await play(clip(join(dir, 'shake.avi'), 30, SHAKE));
    expect(r.alerts.map((a) => a.kinds)).toEqual([['camera_moved'], []]);
    expect(r.alerts[0].at).toBeGreaterThanOrEqual(10);
    expect(r.alerts[0].at).toBeLessThan(10.6);
    // Relearnt over 10 s of steady picture after the shaking stopped at 13 s.
    expect(r.alerts[1].at).toBeGreaterThanOrEqual(23);
    expect(r.alerts[1].at).toBeLessThan(25);
    expect(vendingTypes(r)).toEqual([]);
  });

  it('a camera with parking zones only notices the move too', async () => {
    const kerbOnly = edgeConfigSchema.parse({ ...config, cameras: [{ ...config.cameras[0], zones: config.cameras[0].zones.filter((z) => z.kind === 'no_parking') }] });
    const r = await play(clip(join(dir, 'shake-kerb.avi'), 12, SHAKE), kerbOnly);
    expect(r.alerts.map((a) => a.kinds)).toEqual([['camera_moved']]);
    expect(r.alerts[0].at).toBeGreaterThanOrEqual(10);
    expect(r.alerts[0].at).toBeLessThan(10.6);
  });

  it('the example clip itself: its two parked vehicles, nothing on the plaza', async () => {
    const r = await play(VTEST);
    expect(r.started.map((d) => `${d.zoneId}:${d.type}`)).toEqual(['kerb:illegal_parking', 'kerb:illegal_parking']);
    expect(r.alerts).toEqual([]);
  });
});
