/**
 * `npm run bench:plates`: milliseconds per plate read (detect + rectify + recognise, and each
 * stage) with the 640 and 320 plate detectors, on street-1.jpg (whole frame, and the white car's
 * box as the edge passes it) and on the plate crops; median of RUNS reads after a warm-up.
 * Then the extra CPU the plate stage adds to the vtest replay (examples/edge-vtest.yaml): the replay
 * with plates off and on, alternately, REPLAY_RUNS times each, each run in its own process.
 * Targets (2 cores): under 150 ms per plate with the 640 detector; the replay with plates within 5 %
 * of its throughput without.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createOnnxDetector } from '../detector/onnx-detector.js';
import { readImageFile } from '../detector/plate/image-file.js';
import { loadPlateReader, type PlateReadTimings } from '../detector/plate/plate-reader.js';
import type { PixelBox, RgbFrame } from '../detector/types.js';
import { resolveModel } from '../models/resolve.js';
import { projectRoot } from '../common/paths.js';
import { PLATES_DIR, VTEST } from '../test/fixtures.js';

const RUNS = 20;
const WARM_UP = 3;
const TARGET_MS = 150;
const REPLAY_RUNS = 3;
const REPLAY_TARGET = 0.95;

export interface PlateCase {
  name: string;
  frame: RgbFrame;
  region?: PixelBox;
}

export interface PlateReadRow extends PlateReadTimings {
  detector: string;
  case: string;
  /** What was read (best reading), '' for none. */
  text: string;
  totalMs: number;
}

export async function plateCases(): Promise<PlateCase[]> {
  const street = await readImageFile(join(PLATES_DIR, 'street-1.jpg'));
  return [
    { name: 'street-1.jpg whole frame', frame: street },
    { name: 'street-1.jpg white car box', frame: street, region: await largestCar(street) },
    { name: 'crop-1.jpg', frame: await readImageFile(join(PLATES_DIR, 'crop-1.jpg')) },
    { name: 'crop-2.jpg', frame: await readImageFile(join(PLATES_DIR, 'crop-2.jpg')) },
  ];
}

/** The box of the biggest car in the frame (street-1: the white one), as the edge's object detector gives it. */
async function largestCar(frame: RgbFrame): Promise<PixelBox> {
  const model = await resolveModel({ name: 'yolox_nano' });
  const detector = await createOnnxDetector({ modelPath: model.path, manifest: model.manifest });
  try {
    const area = (b: PixelBox) => (b.x2 - b.x1) * (b.y2 - b.y1);
    const cars = (await detector.detect(frame)).filter((o) => o.label === 'car').map((o) => o.box);
    if (cars.length === 0) throw new Error('bench:plates: yolox_nano finds no car in street-1.jpg');
    return cars.reduce((a, b) => (area(b) > area(a) ? b : a));
  } finally {
    await detector.close();
  }
}

/** Median stage times of `runs` reads of each case with each detector (one session pair per detector). */
export async function measurePlateReads(detectors: string[], cases: PlateCase[], runs = RUNS): Promise<PlateReadRow[]> {
  const rows: PlateReadRow[] = [];
  for (const detector of detectors) {
    const reader = await loadPlateReader({ detector });
    try {
      for (const c of cases) {
        for (let i = 0; i < WARM_UP; i++) await reader.read(c.frame, c.region);
        const samples: PlateReadTimings[] = [];
        let text = '';
        for (let i = 0; i < runs; i++) {
          const { readings, timings } = await reader.readTimed(c.frame, c.region);
          samples.push(timings);
          text = readings[0]?.text ?? '';
        }
        const med = (pick: (t: PlateReadTimings) => number) => median(samples.map(pick));
        rows.push({
          detector,
          case: c.name,
          text,
          detectMs: med((t) => t.detectMs),
          rectifyMs: med((t) => t.rectifyMs),
          recogniseMs: med((t) => t.recogniseMs),
          totalMs: med((t) => t.detectMs + t.rectifyMs + t.recogniseMs),
        });
      }
    } finally {
      await reader.close();
    }
  }
  return rows;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface PipelineRun {
  fps: number;
  cpuSeconds: number;
  peakRssMb: number;
  detections: Record<string, number>;
  plateWork: { reads: number; locates: number; ms: number };
}

function pipelineRun(plates: 'on' | 'off'): PipelineRun {
  const args = [join(projectRoot, 'dist', 'bench', 'edge-pipeline.js'), join(projectRoot, 'examples', 'edge-vtest.yaml'), VTEST, 'on', plates];
  // As deployed (see bench/edge.ts): two malloc arenas.
  const out = execFileSync('node', args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' } });
  return JSON.parse(out.trim().split('\n').pop()!) as PipelineRun;
}

/** The vtest replay without and with plates, alternating so drifts of a shared machine hit both alike. */
export function measureReplayCost(runs = REPLAY_RUNS): { off: PipelineRun[]; on: PipelineRun[] } {
  const off: PipelineRun[] = [];
  const on: PipelineRun[] = [];
  for (let i = 0; i < runs; i++) {
    off.push(pipelineRun('off'));
    on.push(pipelineRun('on'));
  }
  return { off, on };
}

async function main(): Promise<void> {
  const rows = await measurePlateReads(['y5fu_640x_sim', 'y5fu_320x_sim'], await plateCases());
  const ms = (v: number) => v.toFixed(1).padStart(6);
  const name = Math.max(...rows.map((r) => r.case.length));
  const lines = rows.map(
    (r) => `${r.detector.padEnd(14)} ${r.case.padEnd(name)} ${ms(r.totalMs)} ${ms(r.detectMs)} ${ms(r.rectifyMs)} ${ms(r.recogniseMs)}  ${r.text || '(none)'}`,
  );
  const worst640 = Math.max(...rows.filter((r) => r.detector === 'y5fu_640x_sim').map((r) => r.totalMs));
  process.stdout.write(
    `bench:plates — ms per plate read, median of ${RUNS}\n` +
      `${'detector'.padEnd(14)} ${'case'.padEnd(name)}  total detect rectif  recog  read\n${lines.join('\n')}\n` +
      `target: < ${TARGET_MS} ms per plate with y5fu_640x_sim → ${worst640 < TARGET_MS ? 'met' : 'NOT met'} (worst case ${worst640.toFixed(1)} ms)\n`,
  );

  const { off, on } = measureReplayCost();
  const summary = (runs: PipelineRun[]) => {
    const fps = median(runs.map((r) => r.fps));
    return { fps, cpu: median(runs.map((r) => r.cpuSeconds)), rss: Math.max(...runs.map((r) => r.peakRssMb)), runs: runs.map((r) => r.fps.toFixed(1)).join(', ') };
  };
  const a = summary(off);
  const b = summary(on);
  const work = on[0].plateWork;
  const ratio = b.fps / a.fps;
  process.stdout.write(
    `\nvtest replay (examples/edge-vtest.yaml, 10 fps, motion gate on), median of ${REPLAY_RUNS} alternating runs\n` +
      `plates off: ${a.fps.toFixed(1)} frames/s (${a.runs}), CPU ${a.cpu.toFixed(1)} s, peak RSS ${a.rss.toFixed(0)} MB\n` +
      `plates on:  ${b.fps.toFixed(1)} frames/s (${b.runs}), CPU ${b.cpu.toFixed(1)} s, peak RSS ${b.rss.toFixed(0)} MB\n` +
      `plate stage: ${work.reads} reads + ${work.locates} photo searches, ${work.ms.toFixed(0)} ms; extra CPU ${(b.cpu - a.cpu).toFixed(1)} s = ${(((b.cpu - a.cpu) / a.cpu) * 100).toFixed(1)} %\n` +
      `target: replay with plates ≥ 95 % of without → ${ratio >= REPLAY_TARGET ? 'met' : 'NOT met'} (${(ratio * 100).toFixed(1)} %)\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
