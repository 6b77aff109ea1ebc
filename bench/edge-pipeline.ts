/**
 * One measured run of the full edge pipeline (decode, preprocess, infer, track, rules, evidence)
 * over a video, in its own process so its peak RSS is the pipeline's alone. Prints one JSON line.
 * Usage: node dist/bench/edge-pipeline.js <config> <video> <motion:on|off> [fps]
 */
import { loadEdgeConfig } from '../edge/config.js';
import { loadDetector } from '../edge/load-detector.js';
import { replay } from '../edge/replay.js';

const [configFile, video, motion = 'off', fps] = process.argv.slice(2);
const loaded = loadEdgeConfig(configFile);
const config = {
  ...loaded,
  motion: { ...loaded.motion, enabled: motion === 'on' },
  cameras: loaded.cameras.map((c) => ({ ...c, fps: fps ? Number(fps) : c.fps })),
};
const detector = await loadDetector(config);
const s = await replay({ config, detector, video });
await detector.close();
process.stdout.write(`${JSON.stringify({
  frames: s.frames, inferences: s.inferences, seconds: s.wallSeconds, fps: s.fps,
  detections: s.detections, peakRssMb: process.resourceUsage().maxRSS / 1024,
})}\n`);
