/**
 * One measured run of the full edge pipeline (decode, preprocess, infer, track, rules, evidence,
 * and with `plates` on the plate stage) over a video, in its own process so its peak RSS and CPU
 * time are the pipeline's alone (`cpuSeconds`; ffmpeg's decoding apart, `decodeCpuSeconds`). Prints one JSON line.
 * Usage: node dist/bench/edge-pipeline.js <config> <video> <motion:on|off> [plates:on|off] [fps] [regions:on|off] [occupancy:on|off]
 */
import type { PlateReader } from '../detector/plate/types.js';
import { loadEdgeConfig } from '../edge/config.js';
import { loadDetector, loadEdgePlateReader } from '../edge/model-updates/load-detector.js';
import { replay } from '../edge/replay.js';
import { childrenCpuSeconds } from './children-cpu.js';
import { peakRssMb } from './peak-rss.js';

const [configFile, video, motion = 'off', plates = 'off', fps, regions = 'off', occupancy = 'on'] = process.argv.slice(2);
const loaded = loadEdgeConfig(configFile);
const config = {
  ...loaded,
  motion: { ...loaded.motion, enabled: motion === 'on' },
  detector: { ...loaded.detector, regions: { ...loaded.detector.regions, enabled: regions === 'on' } },
  occupancy: { ...loaded.occupancy, enabled: occupancy === 'on' },
  plates: { ...loaded.plates, enabled: plates === 'on' },
  privacy: { ...loaded.privacy, blurPlates: plates === 'on' },
  cameras: loaded.cameras.map((c) => ({ ...c, fps: fps ? Number(fps) : c.fps })),
};
const detector = await loadDetector(config);
const plateWork = { reads: 0, locates: 0, ms: 0 };
const reader = await loadEdgePlateReader(config);
const counted: PlateReader | undefined = reader && {
  inputSize: reader.inputSize,
  read: (frame, region) => timed('reads', () => reader.read(frame, region)),
  locate: (frame, region) => timed('locates', () => reader.locate(frame, region)),
  close: () => reader.close(),
};
const cpu0 = process.cpuUsage();
const decode0 = childrenCpuSeconds();
const s = await replay({ config, detector, plateReader: counted, video });
const cpu = process.cpuUsage(cpu0);
const decodeCpuSeconds = childrenCpuSeconds() - decode0;
await Promise.all([detector.close(), reader?.close()]);
process.stdout.write(`${JSON.stringify({
  frames: s.frames, inferences: s.inferences, detectorRuns: s.detectorRuns, seconds: s.wallSeconds, fps: s.fps, cpuSeconds: (cpu.user + cpu.system) / 1e6, decodeCpuSeconds,
  detections: s.detections, peakRssMb: peakRssMb(), plateWork,
})}\n`);

/** Counts a plate call and the time it was queued and run (an upper bound of its own cost). */
async function timed<T>(kind: 'reads' | 'locates', call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await call();
  } finally {
    plateWork[kind]++;
    plateWork.ms += performance.now() - t0;
  }
}
