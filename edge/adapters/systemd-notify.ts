/**
 * The agent's heartbeat to whatever supervises it: systemd (`Type=notify`, `WatchdogSec=`) and/or
 * Docker's HEALTHCHECK, which looks at the age of a file.
 *
 * The beat goes out only while the agent is healthy: every enabled camera is making progress —
 * its pipeline took a frame, or its video source changed state (connecting, stalled,
 * reconnecting…) — within `stuckAfterMs`. A camera that is down while its source keeps retrying
 * with back-off counts as healthy: restarting the agent cannot bring a camera back and would end
 * every other camera's open violations. What withholding the beat catches is a wedge: a blocked
 * event loop (no beat at all), inference or the ffmpeg pipe hanging while the source still says
 * `connected`, a reconnect loop that stopped. The broker is not part of it: while it is away,
 * messages wait in the spool, and a restart would not bring it back either.
 *
 * Node has no unix datagram sockets, so messages to systemd go through `systemd-notify`, a
 * short-lived child: systemd sees the child's pid, not ours, hence `NotifyAccess=all` in the unit.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-write.js';
import type { Logger } from '../../common/logger.js';
import type { CameraState } from '../../contract/index.js';

export interface CameraSample {
  cameraId: string;
  state: CameraState;
  /** Frames the camera's pipeline has taken so far (a running total). */
  frames: number;
  watchdogSeconds: number;
  reconnectMaxMs: number;
}

export interface CameraProgress {
  state: CameraState;
  frames: number;
  /** When the frame count or the state last changed (epoch ms). */
  at: number;
}

export interface HealthVerdict {
  healthy: boolean;
  /** Cameras without progress for longer than `stuckAfterMs`. */
  stuck: string[];
  /** Give it back as `previous` to the next call. */
  progress: Map<string, CameraProgress>;
}

/** States in which a working source shows progress; the others (disabled, ended, a fatal error) have nothing left to watch. */
const SUPERVISED: ReadonlySet<CameraState> = new Set<CameraState>(['connecting', 'connected', 'stalled', 'reconnecting']);

/**
 * Longest silence (no frame, no state change) a working source can show: its own watchdog reports
 * a stall after `watchdogSeconds`, a retry waits at most `reconnect.maxMs`. Twice that, and at least
 * a minute, so the source's own recovery always gets its turn before a restart.
 */
export function stuckAfterMs(c: Pick<CameraSample, 'watchdogSeconds' | 'reconnectMaxMs'>): number {
  return Math.max(60_000, 2 * (c.watchdogSeconds * 1000 + c.reconnectMaxMs));
}

/** Pure: the agent's health at `nowMs`, given the cameras now and the progress seen so far. */
export function assessHealth(samples: readonly CameraSample[], previous: ReadonlyMap<string, CameraProgress>, nowMs: number): HealthVerdict {
  const progress = new Map<string, CameraProgress>();
  const stuck: string[] = [];
  for (const s of samples) {
    const p = previous.get(s.cameraId);
    const at = !p || p.state !== s.state || p.frames !== s.frames ? nowMs : p.at;
    progress.set(s.cameraId, { state: s.state, frames: s.frames, at });
    if (SUPERVISED.has(s.state) && nowMs - at > stuckAfterMs(s)) stuck.push(s.cameraId);
  }
  return { healthy: stuck.length === 0, stuck, progress };
}

export interface HeartbeatOptions {
  /** The cameras as the agent sees them now. */
  cameras: () => CameraSample[];
  logger: Logger;
  /** Read for NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID and STREETWATCH_HEALTH_FILE. Default process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Beat period when only the health file is kept (no systemd watchdog). Default 10 s. */
  fileBeatMs?: number;
}

export interface Heartbeat {
  /** Stops beating and tells systemd the agent is stopping. */
  stop(): Promise<void>;
}

/**
 * Sends READY=1 at once, then every WATCHDOG_USEC/2 a WATCHDOG=1 while healthy (systemd), and
 * rewrites STREETWATCH_HEALTH_FILE on the same beat (Docker). Without either, does nothing.
 */
export function startHeartbeat(opts: HeartbeatOptions): Heartbeat {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? Date.now;
  const log = opts.logger;
  const systemd = Boolean(env.NOTIFY_SOCKET);
  // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited it is not.
  const watchdogUsec = Number(env.WATCHDOG_USEC);
  const watchdog = systemd && watchdogUsec > 0 && (!env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid);
  const healthFile = env.STREETWATCH_HEALTH_FILE || undefined;
  if (!systemd && !healthFile) return { stop: async () => undefined };

  let notifyFailed = false;
  const notify = (...fields: string[]) =>
    new Promise<void>((done) => {
      execFile('systemd-notify', fields, { env, timeout: 5000 }, (err) => {
        // Logged once: a missing or failing systemd-notify would otherwise fill the journal.
        if (err && !notifyFailed) log.warn({ err: err.message, fields }, 'systemd-notify failed');
        notifyFailed ||= Boolean(err);
        done();
      });
    });

  let progress = new Map<string, CameraProgress>();
  let wasHealthy = true;
  const beat = async () => {
    const verdict = assessHealth(opts.cameras(), progress, clock());
    progress = verdict.progress;
    const fields: string[] = [];
    if (verdict.healthy !== wasHealthy) {
      wasHealthy = verdict.healthy;
      if (verdict.healthy) log.info('cameras making progress again; heartbeat resumed');
      else log.error({ stuck: verdict.stuck }, 'cameras stuck: heartbeat withheld, the supervisor will restart the agent');
      fields.push(`STATUS=${verdict.healthy ? 'running' : `stuck: ${verdict.stuck.join(', ')}`}`);
    }
    if (verdict.healthy && watchdog) fields.push('WATCHDOG=1');
    if (systemd && fields.length > 0) await notify(...fields);
    if (verdict.healthy && healthFile) {
      // Replaced whole, so a reader never sees it half-written; not flushed: its age is all that
      // counts, it is rewritten every beat, and a flush every beat would wear an SD card.
      await writeFileAtomic(healthFile, `${new Date(clock()).toISOString()}\n`, { durable: false })
        .catch((err: Error) => log.warn({ err: err.message, healthFile }, 'health file not written'));
    }
  };

  const periodMs = watchdog ? watchdogUsec / 2000 : healthFile ? (opts.fileBeatMs ?? 10_000) : undefined;
  // A beat still sending (a slow systemd-notify, a slow disk) is not overlapped by the next.
  let beating: Promise<void> | undefined;
  const tick = () => {
    beating ??= beat().finally(() => (beating = undefined));
  };
  const timer = periodMs === undefined ? undefined : setInterval(tick, periodMs);
  timer?.unref(); // the heartbeat never keeps a finished agent alive
  log.info({ systemd, watchdogMs: watchdog ? watchdogUsec / 1000 : undefined, healthFile }, 'heartbeat started');
  const first = (async () => {
    if (healthFile) await mkdir(dirname(healthFile), { recursive: true }).catch(() => undefined);
    if (systemd) await notify('READY=1', 'STATUS=running');
    tick();
  })();

  return {
    stop: async () => {
      clearInterval(timer);
      await first;
      await beating;
      if (systemd) await notify('STOPPING=1');
    },
  };
}
