/**
 * Scene occupancy alone on real frames: the CPU it costs per sample, free of inference and of
 * whatever else runs on the machine (it is timed on one thread, best of several rounds), and a
 * hash of every state it returned, so two builds can be checked to decide alike.
 * The frames are decoded and tracked (real model, real tracker) once beforehand; each round then
 * feeds all of them to a fresh SceneOccupancy, one sample per frame (at 2 fps every frame is one).
 * Prints one JSON line. Usage: node dist/bench/edge-occupancy.js <config> <video> [fps] [frames] [rounds]
 */
import { createHash } from 'node:crypto';
import { loadEdgeConfig, type NoVendingZone } from '../edge/config.js';
import { SceneOccupancy } from '../edge/logic/occupancy/scene-occupancy.js';
import { lumaGrid } from '../edge/logic/occupancy/luma-grid.js';
import { Tracker } from '../edge/logic/tracker.js';
import type { Track } from '../edge/logic/violation.js';
import { loadDetector } from '../edge/model-updates/load-detector.js';
import { probeVideo } from '../edge/adapters/video-source.js';
import { framesAt } from '../test/fixtures.js';

const [configFile, video, fpsArg = '2', framesArg = '150', roundsArg = '5'] = process.argv.slice(2);
const config = loadEdgeConfig(configFile);
const camera = config.cameras[0];
const fps = Number(fpsArg);
const { width, height } = await probeVideo(video);
const frames = framesAt(0, Number(framesArg), fps, video, { width, height });
const stepMs = 1000 / fps;

// Tracks as the pipeline gives them to occupancy: detector on every frame, then the tracker.
const detector = await loadDetector(config);
const tracker = new Tracker({ ...config.tracking });
const tracks: Track[][] = [];
for (const [i, frame] of frames.entries()) tracks.push(tracker.update(i * stepMs, await detector.detect({ ...frame, data: Buffer.from(frame.data) }), frame));
await detector.close();

const zones = camera.zones.filter((z): z is NoVendingZone => z.kind === 'no_vending');
// One sample per frame whatever the fps: what occupancy costs a 2 fps camera.
const opts = { ...config.occupancy, sampleSeconds: Math.min(config.occupancy.sampleSeconds, 1 / fps) };

function round(): { cpuMs: number; hash: string } {
  const occupancy = new SceneOccupancy(opts);
  const hash = createHash('sha256');
  const cpu0 = process.cpuUsage();
  for (const [i, frame] of frames.entries()) hash.update(JSON.stringify(occupancy.observe(frame, i * stepMs, tracks[i], zones)));
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, hash: hash.digest('hex').slice(0, 16) };
}

function gridMs(): number {
  const cpu0 = process.cpuUsage();
  for (const frame of frames) lumaGrid(frame, opts.gridColumns);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

round(); // warm-up: compiled code, as a running camera has it
const rounds = Array.from({ length: Number(roundsArg) }, round);
if (new Set(rounds.map((r) => r.hash)).size !== 1) throw new Error(`occupancy decided differently on the same frames: ${rounds.map((r) => r.hash).join(', ')}`);
const grids = Array.from({ length: Number(roundsArg) }, gridMs);
process.stdout.write(`${JSON.stringify({
  samples: frames.length,
  msPerSample: Math.min(...rounds.map((r) => r.cpuMs)) / frames.length,
  gridMsPerSample: Math.min(...grids) / frames.length,
  roundsMsPerSample: rounds.map((r) => r.cpuMs / frames.length),
  hash: rounds[0].hash,
})}\n`);
