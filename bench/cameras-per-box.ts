/**
 * Cameras one box carries in real time at 2 frames/s, measured: for each mode (motion gating and
 * region detection on or off; occupancy on, as by default), the largest N for which one edge agent
 * running N live-paced ffmpeg sources of the example clip drops no frame, falls no further behind and keeps its lag bounded
 * (bench/edge-cameras.ts per run, bench/camera-capacity.ts for the verdict and the search).
 * Settings: BENCH_CAMERAS_MINUTES (time budget of the search, all modes; default 10; 0 skips it in bench:edge),
 * BENCH_CAMERAS_WINDOW (measured seconds per run, 30), BENCH_CAMERAS_WARMUP (seconds, 8),
 * BENCH_CAMERAS_START (first N tried, 4). A quick run: BENCH_CAMERAS_MINUTES=4 BENCH_CAMERAS_WINDOW=10.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { makeClip, tempDir } from '../test/fixtures.js';
import { judgeRun, searchCapacity, type CamerasRun, type CamerasVerdict, type CapacityResult } from './camera-capacity.js';
import { runScript } from './run-script.js';

const FPS = 2;
const MAX_CAMERAS = 64;
/** A camera's newest processed frame may age this much beyond its least: a frame interval, ffmpeg's pacing and the pipeline's time, with room. */
const MAX_LAG_MS = 3000;
/** The search's next guess after a passing run: the cameras its CPU use scales to on 90 % of the box's cores. */
const CPU_TARGET_PERCENT = 90 * availableParallelism();

const MODES = [
  { name: 'full: motion gating + regions + occupancy', motion: 'on', regions: 'on' },
  { name: 'without motion gating', motion: 'off', regions: 'on' },
  { name: 'without regions', motion: 'on', regions: 'off' },
  { name: 'without motion gating and regions', motion: 'off', regions: 'off' },
] as const;

type MeasuredRun = CamerasRun & { seconds: number; cpuPercent: number; agentRssMb: number; ffmpegPssMb: number };

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Runs the search for every mode on `config`'s first camera; reports progress through `log`, returns the table's lines. */
export async function camerasPerBox(config: string, log: (line: string) => void): Promise<string[]> {
  const budgetMs = setting('BENCH_CAMERAS_MINUTES', 10) * 60_000;
  const windowSeconds = setting('BENCH_CAMERAS_WINDOW', 30);
  const warmupSeconds = setting('BENCH_CAMERAS_WARMUP', 8);
  // The example clip cut short, read in a loop at its own pace (`-re -stream_loop -1`) as a live camera is.
  const clip = makeClip(join(tempDir('sw-bench-'), 'cut.avi'), { seconds: 20 });
  const loadBefore = loadavg();
  log(`cameras per box at ${FPS} frames/s: ${MODES.length} modes, search budget ${budgetMs / 60_000} min (BENCH_CAMERAS_MINUTES), runs of ${warmupSeconds} s warm-up + ${windowSeconds} s measured; load average ${loadavgText(loadBefore)}`);
  const results: { mode: (typeof MODES)[number]; found: CapacityResult<{ run: MeasuredRun; verdict: CamerasVerdict }> }[] = [];
  let start = setting('BENCH_CAMERAS_START', 4);
  const deadline = performance.now() + budgetMs;
  for (const [i, mode] of MODES.entries()) {
    const runCameras = async (cameras: number) => {
      const run = runScript<MeasuredRun>('edge-cameras.js', [config, clip, String(cameras), mode.motion, mode.regions, String(FPS), String(warmupSeconds), String(windowSeconds)]);
      const verdict = judgeRun(run, MAX_LAG_MS);
      log(`  ${mode.name}, ${cameras} cameras: ${verdict.ok ? 'ok' : `NOT ok (${verdict.why})`}; ${sum(run.processed)}/${sum(run.offered)} frames processed (real time: ${run.expectedPerCamera * cameras}), lag ≤ ${(run.maxLagMs / 1000).toFixed(1)} s, CPU ${run.cpuPercent} %${verdict.drops ? `; dropped per camera ${run.dropped.join(' ')}` : ''}`);
      return { ok: verdict.ok, result: { run, verdict } };
    };
    const found = await searchCapacity(runCameras, {
      start, max: MAX_CAMERAS, now: () => performance.now(),
      budgetMs: (deadline - performance.now()) / (MODES.length - i), // what an earlier mode left over goes to the later ones
      estimate: ({ cameras, result }) => (cameras * CPU_TARGET_PERCENT) / Math.max(1, result.run.cpuPercent),
    });
    results.push({ mode, found });
    start = Math.max(1, found.carried); // the next mode is near this one
  }
  const rows = results.map(({ mode, found }) => {
    const carried = found.trials.find((t) => t.ok && t.cameras === found.carried)?.result.run;
    const failed = found.failed;
    const atNext = !failed ? (found.exact ? `none up to ${MAX_CAMERAS}` : 'not reached (budget ran out)') : `${failed.result.verdict.why}${failed.cameras === found.carried + 1 ? '' : ` at ${failed.cameras} (budget ran out: boundary not closed)`}`;
    return [
      mode.name,
      String(found.carried),
      carried ? `${carried.cpuPercent} %` : '–',
      carried ? `${Math.round(carried.agentRssMb)} MB + ffmpegs ${Math.round(carried.ffmpegPssMb)} MB` : '–',
      atNext,
    ];
  });
  const header = ['mode (occupancy on)', 'cameras carried', 'CPU % (agent + ffmpeg)', 'memory (agent peak RSS + ffmpegs PSS)', 'why not N+1'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    `cameras per box, real time at ${FPS} frames/s, no frame dropped, none behind, lag ≤ ${MAX_LAG_MS / 1000} s (${windowSeconds} s windows; load average before ${loadavgText(loadBefore)}, after ${loadavgText(loadavg())})`,
    line(header),
    ...rows.map(line),
  ];
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function loadavgText(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}
