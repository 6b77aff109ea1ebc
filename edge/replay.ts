/**
 * `edge replay`: the live pipeline over a recorded file, as fast as the machine allows, on the
 * video's own timestamps, with no broker: every message goes to a JSONL file instead.
 */
import { SingleBar, Presets } from 'cli-progress';
import { violationType, type ViolationType } from '../contract/index.js';
import { ConfigError } from '../common/config-file.js';
import type { PlateReader } from '../detector/plate/types.js';
import type { Detector } from '../detector/types.js';
import { FrameClock } from './logic/frame-clock.js';
import { CameraPipeline, type CameraStats } from './camera-pipeline.js';
import type { EdgeConfig } from './config.js';
import type { ZoneModels } from './zone-models.js';
import { EdgePublisher, JsonlOutbox, type OutMessage } from './adapters/outbox.js';
import { openVideoSource, probeVideo } from './adapters/video-source.js';

export interface ReplayOptions {
  config: EdgeConfig;
  detector: Detector;
  /** Reads plates of parked vehicles and blurs the others' (see loadEdgePlateReader); none: no plates. */
  plateReader?: PlateReader;
  /** The cameras' zone models (see loadZoneModels); needed when a zone has a `detector`, whose first run fails without it. */
  zoneModels?: ZoneModels;
  video: string;
  /** Which camera's zones to use; default the first. */
  cameraId?: string;
  eventsFile?: string;
  evidenceDir?: string;
  /** Also given every message the agent would publish, in publish order (`edge eval` scores them). */
  onMessage?: (msg: OutMessage) => void;
  /** Wall time the video's first frame maps to (default: now). */
  startMs?: number;
  progress?: boolean;
}

export interface ReplaySummary {
  cameraId: string;
  frames: number;
  inferences: number;
  /** Detector runs (more than inferences with region-based detection). */
  detectorRuns: number;
  videoSeconds: number;
  wallSeconds: number;
  fps: number;
  detections: Record<ViolationType, number>;
  messages: number;
  evidencePhotos: number;
  /** Per zone model id: its runs on zone crops. */
  zoneModels: CameraStats['zoneModels'];
}

export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const camera = opts.cameraId ? opts.config.cameras.find((c) => c.id === opts.cameraId) : opts.config.cameras[0];
  if (!camera) throw new ConfigError(`--camera ${opts.cameraId}: no such camera (have ${opts.config.cameras.map((c) => c.id).join(', ')})`);
  const info = await probeVideo(opts.video);
  const outbox = new JsonlOutbox(opts.eventsFile, opts.evidenceDir);
  const counting = { messages: 0, evidence: 0 };
  const publisher = new EdgePublisher(
    { send: (m) => { counting.messages++; if (m.kind === 'evidence') counting.evidence++; outbox.send(m); opts.onMessage?.(m); } },
    opts.config.mqtt.rootTopic,
    opts.config.device.id,
  );
  const source = await openVideoSource({ source: opts.video, fps: camera.fps, mode: 'fast', watchdogSeconds: camera.watchdogSeconds, decodeThreads: camera.decodeThreads, reconnect: camera.reconnect });
  const pipeline = new CameraPipeline({ config: opts.config, camera, detector: opts.detector, plateReader: opts.plateReader, zoneModels: opts.zoneModels?.forCamera(camera.id), publisher, releaseFrame: (f) => source.recycle(f) });
  const startMs = opts.startMs ?? Date.now();
  const expected = info.durationSeconds ? Math.round(info.durationSeconds * camera.fps) : 0;
  const bar = opts.progress && expected ? new SingleBar({ format: 'replay |{bar}| {percentage}% {value}/{total} frames {fps} fps', clearOnComplete: true, stream: process.stderr }, Presets.shades_classic) : null;
  bar?.start(expected, 0, { fps: 0 });
  const t0 = performance.now();
  const clock = new FrameClock(camera.fps, startMs);
  try {
    for await (const { frame, ptsMs } of source) {
      await pipeline.push(frame, clock.at(ptsMs));
      const n = pipeline.stats.frames;
      if (bar && n % 10 === 0) bar.update(Math.min(n, expected), { fps: Math.round(n / ((performance.now() - t0) / 1000)) });
    }
    await pipeline.flush();
    // Open violations close when the recording does, one frame interval after the last frame.
    await pipeline.end(clock.end ?? startMs, 'source_ended');
  } finally {
    bar?.stop();
    await source.stop();
    await outbox.close();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const s = pipeline.stats;
  return {
    cameraId: camera.id,
    frames: s.frames,
    inferences: s.inferences,
    detectorRuns: s.detectorRuns,
    videoSeconds: s.frames / camera.fps,
    wallSeconds,
    fps: s.frames / wallSeconds,
    detections: Object.fromEntries(violationType.options.map((t) => [t, s.detectionsStarted[t] ?? 0])) as Record<ViolationType, number>,
    messages: counting.messages,
    evidencePhotos: counting.evidence,
    zoneModels: s.zoneModels,
  };
}
