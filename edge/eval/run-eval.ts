/** `edge eval`: replays every labelled clip through the pipeline and scores what it would publish. */
import { loadEdgeConfig } from '../config.js';
import type { OutMessage } from '../adapters/outbox.js';
import { withEdgeModels } from '../model-updates/load-detector.js';
import { replay } from '../replay.js';
import { detectedViolations } from './detected.js';
import { loadLabels } from './labels.js';
import { generatedClip } from './recipes.js';
import { scoreClip, type ClipScore } from './score.js';

export interface EvalOptions {
  labelsFile: string;
  /** Edge config of the clips that name none. */
  configFile: string;
  /** Where recipe clips are made and kept. */
  cacheDir: string;
  /** Wall time each clip's first frame maps to (zone schedules see it); default now. */
  startMs?: number;
  /** Told when a clip starts, for progress on stderr. */
  onClip?: (id: string, video: string) => void;
}

export interface ClipResult {
  id: string;
  score: ClipScore;
}

export async function runEval(o: EvalOptions): Promise<ClipResult[]> {
  const results: ClipResult[] = [];
  for (const clip of loadLabels(o.labelsFile)) {
    const video = typeof clip.video === 'string' ? clip.video : await generatedClip(clip.video.generate, o.cacheDir);
    o.onClip?.(clip.id, video);
    const config = loadEdgeConfig(clip.config ?? o.configFile);
    const startMs = o.startMs ?? Date.now();
    // Detection messages only: evidence photos would hold every JPEG of a long clip in memory.
    const messages: OutMessage[] = [];
    const keep = (m: OutMessage) => { if (m.kind === 'detection') messages.push(m); };
    await withEdgeModels(config, ({ detector, plateReader, zoneModels }) => replay({ config, detector, plateReader, zoneModels, video, cameraId: clip.camera, startMs, onMessage: keep }));
    results.push({ id: clip.id, score: scoreClip(clip.violations, detectedViolations(messages, startMs)) });
  }
  return results;
}
