/**
 * The full pipeline without its video input: frames decoded beforehand go through the same
 * CameraPipeline (inference, tracking, rules, evidence) as in `edge replay`. Next to the full
 * pipeline this shows what decoding and moving frames out of ffmpeg cost on this machine.
 * Prints one JSON line. Usage: node dist/bench/edge-memory.js <config> <video> <frames>
 */
import { execFileSync } from 'node:child_process';
import { CameraPipeline } from '../edge/camera-pipeline.js';
import { loadEdgeConfig } from '../edge/config.js';
import { FrameClock } from '../edge/logic/frame-clock.js';
import { loadDetector } from '../edge/model-updates/load-detector.js';
import { EdgePublisher } from '../edge/adapters/outbox.js';
import { probeVideo } from '../edge/adapters/video-source.js';

const [configFile, video, count = '300'] = process.argv.slice(2);
const config = loadEdgeConfig(configFile);
const camera = config.cameras[0];
const { width, height } = await probeVideo(video);
const size = width * height * 3;
const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', video, '-vf', `fps=${camera.fps}`, '-frames:v', count, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'], { maxBuffer: Number(count) * size + 1 });
// Each frame in a buffer of its own, as ffmpeg's frames are: moved to the workers, not copied.
const frames = Array.from({ length: raw.length / size }, (_, i) => {
  const data = Buffer.allocUnsafe(size);
  raw.copy(data, 0, i * size, (i + 1) * size);
  return { width, height, data };
});
const detector = await loadDetector(config);
for (const f of frames.slice(0, 10)) await detector.detect(f); // warm-up, as for the pure model
const publisher = new EdgePublisher({ send: () => undefined }, config.mqtt.rootTopic, config.device.id);
const pipeline = new CameraPipeline({ config, camera, detector, publisher });
const clock = new FrameClock(camera.fps, Date.now());
const t0 = performance.now();
for (let i = 0; i < frames.length; i++) await pipeline.push(frames[i], clock.at((i * 1000) / camera.fps));
await pipeline.flush();
const seconds = (performance.now() - t0) / 1000;
await detector.close();
process.stdout.write(`${JSON.stringify({ frames: frames.length, seconds, fps: frames.length / seconds })}\n`);
