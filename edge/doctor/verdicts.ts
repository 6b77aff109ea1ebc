/**
 * The decisions of `edge doctor`, apart from the measuring: each takes numbers and returns a
 * status with a one-line detail, so the thresholds are testable without cameras or networks.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked, e.g. `camera cam-1`. */
  check: string;
  status: CheckStatus;
  /** One line (a config error may add indented lines naming fields). */
  detail: string;
}

export type Verdict = Omit<CheckResult, 'check'>;

const MB = 1024 * 1024;
const duration = (ms: number) => (Math.abs(ms) < 1000 ? `${Math.round(Math.abs(ms))} ms` : `${(Math.abs(ms) / 1000).toFixed(1)} s`);

/**
 * Frames per second over a watch, leaving out its longest gap: one late frame on a busy box (a
 * blocked event loop, a scheduling hiccup) would otherwise read as a slow camera, while a camera
 * that is really slow or drops frames is short in every gap.
 */
export function steadyFrameRate(w: { frames: number; spanMs: number; longestGapMs: number }): number {
  if (w.frames > 2 && w.spanMs > w.longestGapMs) return ((w.frames - 2) * 1000) / (w.spanMs - w.longestGapMs);
  return ((w.frames - 1) * 1000) / w.spanMs;
}

/**
 * Frames that reach the agent vs the configured fps. ffmpeg repeats frames to reach `fps`, so a
 * stream slower than that (`sourceFps`) looks on time but carries repeats: a warning. Below half
 * the configured rate, dwell and motion timing no longer hold: a failure.
 */
export function classifyFrameRate(m: { configuredFps: number; measuredFps: number; sourceFps?: number }): Verdict {
  const ratio = m.measuredFps / m.configuredFps;
  const stream = m.sourceFps ? `, stream ${m.sourceFps.toFixed(1)} fps` : '';
  const base = `${m.measuredFps.toFixed(1)} frames/s (configured ${m.configuredFps})${stream}`;
  if (ratio < 0.5) return { status: 'fail', detail: `${base}: frames arrive too slowly (camera, network or CPU)` };
  // A stream slower than fps explains a short rate too: name that cause, the one to fix.
  if (m.sourceFps && m.sourceFps < m.configuredFps * 0.95) {
    return { status: 'warn', detail: `${base}: the stream is slower than fps, so frames are repeated; lower cameras[].fps` };
  }
  if (ratio < 0.9) return { status: 'warn', detail: `${base}: below the configured rate` };
  return { status: 'pass', detail: base };
}

/**
 * ffmpeg's CPU while it decoded the camera in real time, in cores. With `threads` decoding threads
 * (cameras[].decodeThreads; 0 = one per core, not judged) it cannot use more than that many cores:
 * close to it, frames fall behind the stream.
 */
export function classifyDecodeLoad(cores: number, threads: number): Verdict {
  const detail = `decoding ${Math.round(cores * 100)} % of a core`;
  if (threads > 0 && cores >= 0.9 * threads) {
    return { status: 'warn', detail: `${detail}, all that decodeThreads: ${threads} allows: frames will lag the stream; raise cameras[].decodeThreads` };
  }
  return { status: 'pass', detail };
}

/**
 * Box clock vs the centre's (`offsetMs` = centre − box). The 40-minute SLA counts from the box's
 * `discoveredAt`, so the offset shifts every deadline: a few seconds is noise next to 40 minutes,
 * over 2 s means the box's time sync is off, over 30 s visibly moves deadlines and the order of
 * events from different boxes.
 */
export function classifyClockOffset(offsetMs: number, uncertaintyMs: number): Verdict {
  const abs = Math.abs(offsetMs);
  // An offset within the round trip's uncertainty cannot be told from none.
  const how = abs <= Math.max(50, uncertaintyMs) ? 'in step with the centre' : `${duration(offsetMs)} ${offsetMs > 0 ? 'behind' : 'ahead of'} the centre`;
  const detail = `box clock ${how} (±${duration(uncertaintyMs)})`;
  if (abs > 30_000) return { status: 'fail', detail: `${detail}: SLA deadlines shift by that much; fix the box's time sync (NTP)` };
  if (abs > 2_000) return { status: 'warn', detail: `${detail}: check the box's time sync (NTP)` };
  return { status: 'pass', detail };
}

/**
 * Free disk vs what the spool may still grow by (its budget minus what it already holds). Less
 * than that means an outage can fill the disk before the budget drops anything; less than twice
 * that leaves nothing for logs and the system.
 */
export function classifyDiskSpace(m: { freeBytes: number; budgetBytes: number; usedBytes: number }): Verdict {
  const growth = Math.max(0, m.budgetBytes - m.usedBytes);
  const mb = (b: number) => `${Math.round(b / MB)} MB`;
  const detail = `${mb(m.freeBytes)} free; the spool holds ${mb(m.usedBytes)} of its ${mb(m.budgetBytes)} budget`;
  if (m.freeBytes < growth) return { status: 'fail', detail: `${detail}: the disk fills before the budget; lower spool.maxMegabytes or free space` };
  if (m.freeBytes < 2 * growth) return { status: 'warn', detail: `${detail}: under twice the room the spool may take` };
  return { status: 'pass', detail };
}

/** One inference (after a warm-up) vs the frame interval of the fastest camera. */
export function classifyInference(ms: number, maxFps: number): Verdict {
  const budget = 1000 / maxFps;
  const detail = `${Math.round(ms)} ms per frame`;
  if (ms > 5000) return { status: 'fail', detail: `${detail}: far too slow for live video` };
  if (ms > budget) {
    return { status: 'warn', detail: `${detail}: over the ${Math.round(budget)} ms between frames at ${maxFps} fps; the motion gate and detector.workers must make up for it` };
  }
  return { status: 'pass', detail };
}
