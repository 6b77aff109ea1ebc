/**
 * Doctor: a camera is reachable and delivers frames at its configured rate. The source is opened
 * exactly as the agent opens it (ffprobe, then ffmpeg through openVideoSource, paced in real time)
 * and watched for a few seconds.
 */
import type { RgbFrame } from '../../detector/types.js';
import type { CameraConfig } from '../config.js';
import { PLACEHOLDER_CAMERA_SOURCE } from '../init.js';
import { ProcessCpuMeter } from '../adapters/process-cpu.js';
import { openVideoSource, probeVideo, redactSource, type SourceStatus, type VideoInfo, type VideoSource } from '../adapters/video-source.js';
import { classifyDecodeLoad, classifyFrameRate, steadyFrameRate, type CheckResult, type CheckStatus } from './verdicts.js';

export interface CameraCheck {
  result: CheckResult;
  /** The last frame seen, for the test inference. */
  frame?: RgbFrame;
}

interface Watched {
  frames: number;
  spanMs: number;
  longestGapMs: number;
  /** ffmpeg's CPU over the watch, in cores (Linux). */
  decodeCores?: number;
  last?: RgbFrame;
  /** Why watching stopped early; undefined when the window passed or a file ended. */
  problem?: string;
  ended: boolean;
}

export async function checkCamera(cam: CameraConfig, index: number, seconds: number): Promise<CameraCheck> {
  const check = `camera ${cam.id}`;
  const fail = (detail: string): CameraCheck => ({ result: { check, status: 'fail', detail } });
  if (!cam.enabled) return { result: { check, status: 'warn', detail: 'disabled (enabled: false): not checked' } };
  if (cam.source === PLACEHOLDER_CAMERA_SOURCE) return fail(`cameras[${index}].source is still the placeholder from edge init: set the camera's stream URL or video file`);

  let info: VideoInfo;
  try {
    info = await probeVideo(cam.source, { timeoutMs: cam.watchdogSeconds * 1000 });
  } catch (err) {
    return fail((err as Error).message);
  }
  const seen = await watch(cam, info, seconds);
  const size = `${info.width}×${info.height}`;
  if (seen.frames === 0) return fail(`no frames from ${redactSource(cam.source)}: ${seen.problem ?? 'the stream ended at once'}`);
  if (seen.frames === 1) {
    return { result: { check, status: 'warn', detail: `one frame (${size}), then ${seen.problem ?? 'the file ended'}: frame rate not measured` }, frame: seen.last };
  }
  const verdict = classifyFrameRate({ configuredFps: cam.fps, measuredFps: steadyFrameRate(seen), sourceFps: info.fps || undefined });
  const decode = seen.decodeCores === undefined ? undefined : classifyDecodeLoad(seen.decodeCores, cam.decodeThreads);
  const cut = seen.problem ? `; then ${seen.problem}` : seen.ended ? '; the file ended' : '';
  const statuses: CheckStatus[] = [verdict.status, decode?.status ?? 'pass', seen.problem ? 'warn' : 'pass'];
  const status = statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';
  const detail = `${seen.frames} frames in ${(seen.spanMs / 1000).toFixed(1)} s, ${size}: ${verdict.detail}${decode ? `; ${decode.detail}` : ''}${cut}`;
  return { result: { check, status, detail }, frame: seen.last };
}

/** Reads frames until `seconds` after the first one, a file's end, or the first error. */
async function watch(cam: CameraConfig, info: VideoInfo, seconds: number): Promise<Watched> {
  const seen: Watched = { frames: 0, spanMs: 0, longestGapMs: 0, ended: false };
  let source: VideoSource | undefined;
  let stopping = false;
  const decodeCpu = new ProcessCpuMeter();
  const stop = (problem?: string) => {
    if (stopping) return;
    stopping = true;
    seen.problem = problem;
    if (seen.frames > 0) seen.decodeCores = decodeCpu.sample(source?.pid);
    void source?.stop();
  };
  // The agent would retry a failing network camera forever; the doctor reports the first failure.
  const onStatus = (s: SourceStatus) => {
    if (s.state === 'error') stop(s.message);
    else if (s.state === 'reconnecting') stop(s.reason);
  };
  try {
    source = await openVideoSource(
      {
        source: cam.source, fps: cam.fps, mode: 'realtime', loop: cam.loop, width: info.width, height: info.height,
        watchdogSeconds: cam.watchdogSeconds, decodeThreads: cam.decodeThreads, reconnect: cam.reconnect,
      },
      onStatus,
    );
  } catch (err) {
    return { ...seen, problem: (err as Error).message };
  }
  if (stopping) await source.stop(); // failed while starting
  let firstAt = 0;
  let timer = setTimeout(() => stop(`no frame within ${cam.watchdogSeconds} s`), cam.watchdogSeconds * 1000);
  try {
    for await (const { frame } of source) {
      const now = performance.now();
      if (seen.frames++ === 0) {
        firstAt = now;
        decodeCpu.sample(source.pid, now); // from here on: start-up (probing, opening) is not steady decoding
        clearTimeout(timer);
        timer = setTimeout(() => stop(), seconds * 1000);
      }
      seen.longestGapMs = Math.max(seen.longestGapMs, now - firstAt - seen.spanMs);
      seen.spanMs = now - firstAt;
      seen.last = frame;
    }
    seen.ended = !stopping;
  } catch (err) {
    seen.problem ??= (err as Error).message;
  } finally {
    clearTimeout(timer);
    await source.stop();
  }
  return seen;
}
