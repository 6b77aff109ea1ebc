/**
 * One real-time run of N cameras in one edge agent (`edge run`'s runAgent, a real broker), each a
 * looping ffmpeg source paced like a live camera, all sharing the box's detector. After a warm-up,
 * counts over a fixed wall-clock window the frames each source offered, dropped and the pipelines
 * processed, how far the newest processed frame lagged, the CPU of the agent and its ffmpegs, and RSS.
 * Prints one JSON line (a CamerasRun, bench/camera-capacity.ts, plus costs).
 * Usage: node dist/bench/edge-cameras.js <config> <clip> <cameras> <motion:on|off> <regions:on|off> <fps> <warmupSeconds> <windowSeconds>
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../common/logger.js';
import { runAgent, type CameraRunStats } from '../edge/agent.js';
import { ProcessCpuMeter } from '../edge/adapters/process-cpu.js';
import { loadEdgeConfig } from '../edge/config.js';
import { loadDetector } from '../edge/model-updates/load-detector.js';
import { tempDir } from '../test/fixtures.js';
import type { CamerasRun } from './camera-capacity.js';
import { peakRssMb } from './peak-rss.js';

const [configFile, clip, count, motion, regions, fpsArg, warmupArg, windowArg] = process.argv.slice(2);
const cameras = Number(count);
const fps = Number(fpsArg);
const loaded = loadEdgeConfig(configFile);
const config = {
  ...loaded,
  // Its own device and spool: other runs on the same broker keep theirs.
  device: { ...loaded.device, id: `bench-cameras-${process.pid}` },
  spool: { ...loaded.spool, dir: tempDir('sw-bench-spool-') },
  motion: { ...loaded.motion, enabled: motion === 'on' },
  detector: { ...loaded.detector, regions: { ...loaded.detector.regions, enabled: regions === 'on' } },
  cameras: Array.from({ length: cameras }, (_, i) => ({ ...loaded.cameras[0], id: `cam-${i + 1}`, source: clip, fps, loop: true })),
};
const detector = await loadDetector(config);
const logger = createLogger('edge', { deviceId: config.device.id });
logger.level = 'warn'; // its stderr is not read
const agent = await runAgent(config, { detector, plateReader: null, logger });
// Starting N ffmpegs (each probes its file first) takes a while on a busy box: the warm-up counts from every camera's first frame.
const startBy = Date.now() + 60_000;
while (agent.cameraStats().some((c) => c.pipeline.frames === 0) && Date.now() < startBy) await sleep(100);
await sleep(Number(warmupArg) * 1000);

const before = agent.cameraStats();
const decodeCpu = before.map((c) => {
  const meter = new ProcessCpuMeter();
  meter.sample(c.sourcePid);
  return meter;
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// Every 100 ms, per camera: how old the newest frame its pipeline took is (its time is the stream's pts
// anchored to the wall clock at its first frame). The anchor is off by ffmpeg's start (its first 0.5 s
// are read at once), so the lag is how far that age rose above the least it was in the window.
const age = before.map(() => ({ min: Infinity, max: -Infinity }));
const lagTimer = setInterval(() => {
  const now = Date.now();
  agent.cameraStats().forEach((c, i) => {
    if (c.pipeline.lastFrameMs === null) return;
    age[i].min = Math.min(age[i].min, now - c.pipeline.lastFrameMs);
    age[i].max = Math.max(age[i].max, now - c.pipeline.lastFrameMs);
  });
}, 100);
await sleep(Number(windowArg) * 1000);
clearInterval(lagTimer);
const seconds = (performance.now() - t0) / 1000;
const after = agent.cameraStats();
const cpu = process.cpuUsage(cpu0);
const decodeCores = after.reduce((sum, c, i) => sum + (decodeCpu[i].sample(c.sourcePid) ?? 0), 0);
const ffmpegPssMb = after.reduce((sum, c) => sum + pssMb(c.sourcePid), 0);
const agentRssMb = peakRssMb();
await agent.stop();
await detector.close();

const delta = (pick: (c: CameraRunStats) => number) => after.map((c, i) => pick(c) - pick(before[i]));
const run: CamerasRun & Record<string, unknown> = {
  cameras,
  expectedPerCamera: Math.floor(seconds * fps),
  offered: delta((c) => c.source?.produced ?? 0),
  dropped: delta((c) => c.source?.dropped ?? 0),
  processed: delta((c) => c.pipeline.frames),
  maxLagMs: Math.max(0, ...age.map((a) => a.max - a.min)),
  seconds,
  inferred: delta((c) => c.pipeline.inferences).reduce((a, b) => a + b, 0),
  // Cores the box used: the agent (inference workers included) and its ffmpegs.
  cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds + decodeCores) * 100),
  agentRssMb,
  ffmpegPssMb,
};
process.stdout.write(`${JSON.stringify(run)}\n`);

/**
 * Resident memory of another process (an ffmpeg), its shared libraries divided among the processes
 * that map them (PSS): summed over N ffmpegs, RSS would count the codec libraries N times. 0 when gone.
 */
function pssMb(pid: number | undefined): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
