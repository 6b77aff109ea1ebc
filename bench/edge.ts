/**
 * `npm run bench:edge`: throughput and memory of the edge pipeline on vtest.avi at its native 10 fps.
 *   1. pure model: inference alone on frames decoded beforehand (session.run, and detect() with pre/post);
 *   2. full pipeline: decode → preprocess → infer → track → rules, as `edge replay` runs it, and
 *      the same fed from frames decoded beforehand, which isolates what video input costs;
 *   3. the same with the motion gate on, on vtest and on a parked scene (a still clip);
 *   4. region-based detection (detector.regions) against whole frames: 10 fps, and 2 fps per
 *      camera with and without the motion gate (cameras per box estimated from one camera);
 *   5. what scene occupancy costs, alone and with regions, against the pipeline without both
 *      (10 fps, and 2 fps per camera, each in turns), and occupancy alone per sample on real frames
 *      (bench/edge-occupancy.ts);
 *   6. cameras per box, measured: N live-paced sources at 2 fps in one edge agent, the largest N
 *      with no frame dropped, with and without motion gating and regions (bench/cameras-per-box.ts).
 * Costs are judged by CPU ms per frame, which a shared machine disturbs far less than frames/s.
 * Targets (2 cores): full ≥ 85 % of pure model and ≥ 60 frames/s; edge RSS < 300 MB; occupancy and
 * regions together cost ≤ 15 % of the frames/s of the pipeline without them (10 and 2 fps).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { projectRoot, sharedDir } from '../common/paths.js';
import { loadEdgeConfig } from '../edge/config.js';
import { loadDetector } from '../edge/model-updates/load-detector.js';
import { frameAt, makeClip, tempDir, VTEST } from '../test/fixtures.js';
import { camerasPerBox } from './cameras-per-box.js';
import { ARENAS, runScript } from './run-script.js';

const CONFIG = join(projectRoot, 'examples', 'edge-vtest.yaml');
const PURE_FRAMES = 150;

/** A bench script run on the example config, in its own process (bench/run-script.ts). */
const runOnConfig = <T>(script: string, args: string[]) => runScript<T>(script, [CONFIG, ...args]);

/** The same pipeline fed from frames decoded beforehand (bench/edge-memory.ts). */
const memoryRun = () => runOnConfig<{ frames: number; fps: number }>('edge-memory.js', [VTEST, '300']);

type PipelineRun = { frames: number; inferences: number; detectorRuns: number; seconds: number; fps: number; cpuSeconds: number; decodeCpuSeconds: number; peakRssMb: number; detections: Record<string, number> };
/** Occupancy is on unless `occupancy: false` (as the config's default); regions are off unless asked. */
const pipelineRun = (video: string, motion: 'on' | 'off', opts: { regions?: boolean; fps?: number; occupancy?: boolean } = {}) =>
  runOnConfig<PipelineRun>('edge-pipeline.js', [video, motion, 'off', opts.fps ? String(opts.fps) : '', opts.regions ? 'on' : 'off', opts.occupancy === false ? 'off' : 'on']);

if (!existsSync(VTEST)) throw new Error(`bench:edge needs ${VTEST} (../shared beside the project)`);
const config = loadEdgeConfig(CONFIG);
const detector = await loadDetector(config);
const frames = Array.from({ length: PURE_FRAMES }, (_, i) => frameAt((i * 79) / PURE_FRAMES));
for (const f of frames.slice(0, 10)) await detector.detect(f); // warm-up

// This shared 2-core box drifts by ±8 % between runs: pure model and full pipeline are measured
// in turns, ROUNDS times each, and compared by their medians.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const parallel = Math.max(1, config.detector.workers);
const pureRounds: { detectFps: number; runFps: number }[] = [];
const fullRuns: ReturnType<typeof pipelineRun>[] = [];
const memoryRuns: ReturnType<typeof memoryRun>[] = [];
const regionRuns: PipelineRun[] = [];
// The pipeline as it was before scene occupancy and regions: what their cost is measured against.
const plainRuns: PipelineRun[] = [];
for (let round = 0; round < ROUNDS; round++) {
  pureRounds.push(await pureModel());
  plainRuns.push(pipelineRun(VTEST, 'off', { occupancy: false }));
  fullRuns.push(pipelineRun(VTEST, 'off'));
  regionRuns.push(pipelineRun(VTEST, 'off', { regions: true }));
  memoryRuns.push(memoryRun());
}
await detector.close();
const detectFps = median(pureRounds.map((r) => r.detectFps));
const runFps = median(pureRounds.map((r) => r.runFps));
const fullFps = median(fullRuns.map((r) => r.fps));
const memoryFps = median(memoryRuns.map((r) => r.fps));
const fullPeakRssMb = peakRss(fullRuns);
// Judged by CPU per frame, which a shared machine disturbs less than frames/s (costAgainst).
const regionCost = cpuPerFrame(regionRuns) / cpuPerFrame(fullRuns) - 1;
// What occupancy and regions together cost, as the share of frames/s they take away.
const togetherCost = fpsShareLost(regionRuns, plainRuns);
// A deployed camera gives 2 frames/s, where occupancy compares every frame: the pipeline without
// occupancy and regions and with both, in turns as above, twice as many rounds (a 2 fps run is 159
// frames, a fifth of a 10 fps one: its CPU per frame is noisier).
const plainAt2fps: PipelineRun[] = [];
const togetherAt2fps: PipelineRun[] = [];
for (let round = 0; round < 2 * ROUNDS; round++) {
  plainAt2fps.push(pipelineRun(VTEST, 'off', { fps: 2, occupancy: false }));
  togetherAt2fps.push(pipelineRun(VTEST, 'off', { fps: 2, regions: true }));
}
// Cameras per box estimated as pipeline throughput / 2, with and without motion gating and regions.
const at2fps = (['off', 'on'] as const).flatMap((motion) =>
  [false, true].map((regions) => ({ motion, regions, runs: motion === 'off' && regions ? togetherAt2fps : [pipelineRun(VTEST, motion, { regions, fps: 2 })] })),
);
const togetherCost2fps = fpsShareLost(togetherAt2fps, plainAt2fps);
const occupancyAlone = runOnConfig<{ samples: number; msPerSample: number; gridMsPerSample: number }>('edge-occupancy.js', [VTEST, '2', '150', '5']);
const gated = pipelineRun(VTEST, 'on');
const still = makeClip(join(tempDir('sw-bench-'), 'parked.mp4'), { input: join(sharedDir, 'fixtures', 'vtest.avi'), filter: 'trim=start_frame=100:end_frame=101,loop=loop=600:size=1:start=0,setpts=N/10/TB', seconds: 60, codec: 'libx264' });
const stillOff = pipelineRun(still, 'off');
const stillOn = pipelineRun(still, 'on');

/** detect() on frames decoded beforehand, kept coming like the camera pipeline feeds them. */
async function pureModel(): Promise<{ detectFps: number; runFps: number }> {
  const total = 2 * frames.length; // each frame twice: a round as long as a second of pipeline run
  let runMs = 0;
  let next = 0;
  const t0 = performance.now();
  // As many frames in flight as the camera pipeline keeps (workers + 2): the next frame is always
  // waiting when a worker frees, so the model never waits for the caller.
  await Promise.all(Array.from({ length: parallel + 2 }, async () => {
    while (next < total) {
      const { timings } = await detector.detectTimed(frames[next++ % frames.length]);
      runMs += timings.inferMs; // not `runMs += await …`: that reads runMs before the await and loses the other loop's sums
    }
  }));
  return { detectFps: total / ((performance.now() - t0) / 1000), runFps: (total / (runMs / 1000)) * parallel };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const pct = (a: number, b: number) => `${Math.round((a / b) * 100)} %`;
const rows: [string, string][] = [
  [`pure model, session.run only (${parallel} workers)`, `${runFps.toFixed(1)} frames/s`],
  [`pure model, detect() incl. letterbox + decode + NMS (${parallel} workers)`, `${detectFps.toFixed(1)} frames/s (median; rounds ${pureRounds.map((r) => r.detectFps.toFixed(1)).join(', ')})`],
  ['full pipeline (vtest, 10 fps, motion gate off)', `${fullFps.toFixed(1)} frames/s (median; runs ${fullRuns.map((r) => r.fps.toFixed(1)).join(', ')}) = ${pct(fullFps, detectFps)} of detect(), ${pct(fullFps, runFps)} of session.run`],
  ['  the same from frames decoded beforehand (no ffmpeg, no pipe; first 300 frames)', `${memoryFps.toFixed(1)} frames/s (median; runs ${memoryRuns.map((r) => r.fps.toFixed(1)).join(', ')}) = ${pct(memoryFps, detectFps)} of detect(): the rest of the gap is video input`],
  [`full pipeline peak RSS (MALLOC_ARENA_MAX=${ARENAS})`, `${fullPeakRssMb.toFixed(0)} MB`],
  ['full pipeline, motion gate on (vtest, people walking)', `${gated.fps.toFixed(1)} frames/s, ${gated.inferences}/${gated.frames} frames inferred`],
  ['parked scene, motion gate off', `${stillOff.fps.toFixed(1)} frames/s`],
  ['parked scene, motion gate on', `${stillOn.fps.toFixed(1)} frames/s, ${stillOn.inferences}/${stillOn.frames} frames inferred, peak RSS ${stillOn.peakRssMb.toFixed(0)} MB`],
  ['full pipeline, occupancy on, whole frames (vtest, 10 fps, motion gate off)', costRow(fullRuns)],
  ['full pipeline, occupancy on, regions (vtest, 10 fps, motion gate off)', `${costRow(regionRuns)}; ${signedPct(regionCost)} CPU per frame`],
  ['full pipeline, occupancy off, whole frames (vtest, 10 fps, motion gate off)', costRow(plainRuns)],
  ['  occupancy on', costAgainst(fullRuns, plainRuns)],
  ['  occupancy and regions on', costAgainst(regionRuns, plainRuns)],
  ['occupancy alone, one sample per frame (vtest, 2 fps, real tracks; best of 5)', `${occupancyAlone.msPerSample.toFixed(2)} CPU ms per sample, of which the luma grid ${occupancyAlone.gridMsPerSample.toFixed(2)} ms`],
  ...at2fps.map(({ motion, regions, runs }): [string, string] => [
    `2 fps per camera, occupancy on, ${regions ? 'regions' : 'whole frames'}, motion gate ${motion}`,
    `${costRow(runs)} → ${camerasEstimate(runs)}`,
  ]),
  ['2 fps per camera, occupancy off, whole frames, motion gate off', `${costRow(plainAt2fps)} → ${camerasEstimate(plainAt2fps)}`],
  ['  occupancy and regions on', costAgainst(togetherAt2fps, plainAt2fps)],
];

/**
 * Cameras one box carries at 2 frames/s estimated from one camera's replay: throughput / 2 (what
 * this loaded machine gave), and from CPU time, its own and ffmpeg's decoding, on this box's cores
 * left free. A cross-check of the real-time search (bench/cameras-per-box.ts), which measures it.
 */
function camerasEstimate(runs: PipelineRun[]): string {
  const msPerFrame = median(runs.map((r) => ((r.cpuSeconds + r.decodeCpuSeconds) / r.frames) * 1000));
  const cores = availableParallelism();
  return `estimated ${Math.floor(median(runs.map((r) => r.fps)) / 2)} cameras per box from throughput, ${Math.floor((cores * 1000) / msPerFrame / 2)} from CPU time on ${cores} free cores (${msPerFrame.toFixed(1)} CPU ms per frame with decoding)`;
}

/** Throughput, detector runs and CPU per frame, peak RSS, and the parking violations found (vtest has 2). */
function costRow(runs: PipelineRun[]): string {
  const r = medianRun(runs);
  return `${median(runs.map((x) => x.fps)).toFixed(1)} frames/s (runs ${runs.map((x) => x.fps.toFixed(1)).join(', ')}), ${(r.detectorRuns / r.frames).toFixed(2)} detector runs/frame, ${cpuPerFrame(runs).toFixed(1)} CPU ms/frame, peak RSS ${peakRss(runs).toFixed(0)} MB, ${r.detections.illegal_parking ?? 0} parked vehicles found`;
}

/**
 * `runs` against `base`: the share of frames/s lost, judged by CPU per frame (inference fills the
 * cores, so frames/s go as 1 / CPU per frame; on a shared machine frames/s swing by ±30 % between
 * runs, CPU per frame by a few %), then frames/s as measured and peak RSS.
 */
function costAgainst(runs: PipelineRun[], base: PipelineRun[]): string {
  const measured = median(runs.map((r) => r.fps)) / median(base.map((r) => r.fps)) - 1;
  return `${signedPct(cpuPerFrame(runs) / cpuPerFrame(base) - 1)} CPU per frame = ${signedPct(-fpsShareLost(runs, base))} frames/s on full cores (measured here: ${signedPct(measured)}), peak RSS ${signedMb(peakRss(runs) - peakRss(base))}`;
}

function fpsShareLost(runs: PipelineRun[], base: PipelineRun[]): number {
  return 1 - cpuPerFrame(base) / cpuPerFrame(runs);
}

/** The run of median frames/s. */
function medianRun(runs: PipelineRun[]): PipelineRun {
  return runs.slice().sort((a, b) => a.fps - b.fps)[(runs.length - 1) >> 1];
}

/** Median CPU ms per frame: steadier than frames/s on a shared machine. */
function cpuPerFrame(runs: PipelineRun[]): number {
  return median(runs.map((r) => (r.cpuSeconds / r.frames) * 1000));
}

function peakRss(runs: PipelineRun[]): number {
  return Math.max(...runs.map((r) => r.peakRssMb));
}

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;
}

function signedMb(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x))} MB`;
}

const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`bench:edge on ${VTEST}\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
// Last, as it takes longest: several sources at once in one agent, in real time (BENCH_CAMERAS_MINUTES=0 skips it).
if (process.env.BENCH_CAMERAS_MINUTES !== '0') process.stdout.write(`${(await camerasPerBox(CONFIG, (line) => process.stdout.write(`${line}\n`))).join('\n')}\n`);
process.stdout.write(`targets: full ≥ 85 % of pure model → ${fullFps >= 0.85 * detectFps ? 'met' : 'NOT met'}; ≥ 60 frames/s → ${fullFps >= 60 ? 'met' : 'NOT met'}; RSS < 300 MB → ${fullPeakRssMb < 300 ? 'met' : 'NOT met'}; regions ≤ 15 % more CPU per frame than whole frames → ${regionCost <= 0.15 ? 'met' : 'NOT met'}; occupancy + regions cost ≤ 15 % of the frames/s without them: 10 fps ${Math.round(togetherCost * 100)} % → ${togetherCost <= 0.15 ? 'met' : 'NOT met'}, 2 fps per camera ${Math.round(togetherCost2fps * 100)} % → ${togetherCost2fps <= 0.15 ? 'met' : 'NOT met'}\n`);
