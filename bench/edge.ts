/**
 * `npm run bench:edge`: throughput and memory of the edge pipeline on vtest.avi at its native 10 fps.
 *   1. pure model: inference alone on frames decoded beforehand (session.run, and detect() with pre/post);
 *   2. full pipeline: decode → preprocess → infer → track → rules, as `edge replay` runs it;
 *   3. the same with the motion gate on, on vtest and on a parked scene (a still clip).
 * Targets (2 cores): full ≥ 85 % of pure model and ≥ 60 frames/s; edge RSS < 300 MB.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, sharedDir } from '../common/paths.js';
import { loadEdgeConfig } from '../edge/config.js';
import { loadDetector } from '../edge/load-detector.js';
import { frameAt, makeClip, tempDir, VTEST } from '../test/fixtures.js';

const CONFIG = join(projectRoot, 'examples', 'edge-vtest.yaml');
const PURE_FRAMES = 150;
// As deployed (docker/edge.Dockerfile, the systemd unit): two malloc arenas, not one per thread.
const ARENAS = process.env.MALLOC_ARENA_MAX ?? '2';

function pipelineRun(video: string, motion: 'on' | 'off') {
  const env = { ...process.env, MALLOC_ARENA_MAX: ARENAS };
  const out = execFileSync('node', [join(projectRoot, 'dist', 'bench', 'edge-pipeline.js'), CONFIG, video, motion], { encoding: 'utf8', maxBuffer: 1 << 20, env });
  return JSON.parse(out.trim().split('\n').pop()!) as { frames: number; inferences: number; seconds: number; fps: number; peakRssMb: number };
}

if (!existsSync(VTEST)) throw new Error(`bench:edge needs ${VTEST} (../shared beside the project)`);
const config = loadEdgeConfig(CONFIG);
const detector = await loadDetector(config);
const frames = Array.from({ length: PURE_FRAMES }, (_, i) => frameAt((i * 79) / PURE_FRAMES));
for (const f of frames.slice(0, 10)) await detector.detect(f); // warm-up

// As many frames in flight as the detector has workers, like the pipeline keeps.
const parallel = Math.max(1, config.detector.workers);
let runMs = 0;
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: parallel }, async () => {
  while (next < frames.length) runMs += (await detector.detectTimed(frames[next++])).timings.inferMs;
}));
const detectFps = frames.length / ((performance.now() - t0) / 1000);
const runFps = (frames.length / (runMs / 1000)) * parallel;
await detector.close();

const full = pipelineRun(VTEST, 'off');
const gated = pipelineRun(VTEST, 'on');
const still = makeClip(join(tempDir('sw-bench-'), 'parked.mp4'), { input: join(sharedDir, 'fixtures', 'vtest.avi'), filter: 'trim=start_frame=100:end_frame=101,loop=loop=600:size=1:start=0,setpts=N/10/TB', seconds: 60, codec: 'libx264' });
const stillOff = pipelineRun(still, 'off');
const stillOn = pipelineRun(still, 'on');

const pct = (a: number, b: number) => `${Math.round((a / b) * 100)} %`;
const rows: [string, string][] = [
  [`pure model, session.run only (${parallel} in parallel)`, `${runFps.toFixed(1)} frames/s`],
  [`pure model, detect() incl. letterbox + decode + NMS (${parallel} in parallel)`, `${detectFps.toFixed(1)} frames/s`],
  ['full pipeline (vtest, 10 fps, motion gate off)', `${full.fps.toFixed(1)} frames/s = ${pct(full.fps, detectFps)} of detect(), ${pct(full.fps, runFps)} of session.run`],
  [`full pipeline peak RSS (MALLOC_ARENA_MAX=${ARENAS})`, `${full.peakRssMb.toFixed(0)} MB`],
  ['full pipeline, motion gate on (vtest, people walking)', `${gated.fps.toFixed(1)} frames/s, ${gated.inferences}/${gated.frames} frames inferred`],
  ['parked scene, motion gate off', `${stillOff.fps.toFixed(1)} frames/s`],
  ['parked scene, motion gate on', `${stillOn.fps.toFixed(1)} frames/s, ${stillOn.inferences}/${stillOn.frames} frames inferred, peak RSS ${stillOn.peakRssMb.toFixed(0)} MB`],
];
const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`bench:edge on ${VTEST}\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
process.stdout.write(`targets: full ≥ 85 % of pure model → ${full.fps >= 0.85 * detectFps ? 'met' : 'NOT met'}; ≥ 60 frames/s → ${full.fps >= 60 ? 'met' : 'NOT met'}; RSS < 300 MB → ${full.peakRssMb < 300 ? 'met' : 'NOT met'}\n`);
