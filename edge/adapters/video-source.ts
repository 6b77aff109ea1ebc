/**
 * Camera/file frames into Node as packed RGB: ffmpeg (spawned via fluent-ffmpeg) decodes,
 * resamples to the camera's fps and converts to rgb24 on stdout; `showinfo` on stderr gives
 * each frame's real pts. Handles backpressure, looping, reconnects and a stall watchdog.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { access, constants } from 'node:fs/promises';
import { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { StreetWatchError } from '../../common/errors.js';
import { youngGenerationCollector } from '../../common/young-gc.js';
import type { Logger } from '../../common/logger.js';
import type { RgbFrame } from '../../detector/types.js';
import { FramePool, FrameSplitter, parseShowinfo } from './frame-splitter.js';

export interface VideoSourceOptions {
  /** File path, or rtsp:// / http(s):// URL. */
  source: string;
  /** Output frame rate (ffmpeg `fps` filter). */
  fps: number;
  /** realtime: paced like a live camera (`-re` for files), a slow consumer loses old frames.
   *  fast: replay as fast as the consumer takes frames; ffmpeg is paused, nothing is dropped. */
  mode: 'realtime' | 'fast';
  /** Files only: repeat forever (`-stream_loop -1`). */
  loop?: boolean;
  /** Output size; a missing side keeps the stream's aspect ratio. Default: the stream's own (probed). */
  width?: number;
  height?: number;
  /** Restart ffmpeg when no frame arrived for this long (network and looping sources). */
  watchdogSeconds: number;
  /** ffmpeg decoding/filter threads (default 1); 0: ffmpeg's choice, one per core. */
  decodeThreads?: number;
  reconnect: { initialMs: number; maxMs: number };
  /** Frames held for the consumer: realtime keeps the newest this many (default 1), fast pauses ffmpeg at this many (default 3). */
  maxQueue?: number;
  logger?: Logger;
}

export interface SourceFrame {
  frame: RgbFrame;
  /** Presentation time in ms since the start of the stream; strictly increasing, also across loops and reconnects. */
  ptsMs: number;
  /** Number of the frame as produced by ffmpeg at `fps`; realtime drops leave gaps. */
  index: number;
}

export type SourceStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'connected'; width: number; height: number }
  | { state: 'stalled'; silentMs: number }
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { state: 'ended' }
  | { state: 'error'; message: string; fatal: boolean };

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  /** null for live streams. */
  durationSeconds: number | null;
}

export interface SourceStats {
  /** Frames produced by ffmpeg (delivered + dropped + queued). */
  produced: number;
  delivered: number;
  dropped: number;
  /** ffmpeg restarts (reconnects, watchdog kills). */
  restarts: number;
  /** Largest number of decoded frames ever held in Node at once. */
  maxBacklog: number;
}

export class VideoSourceError extends StreetWatchError {}

/** ffmpeg's stdout arrives in 64 KB chunks, copied into frames and then dead: freed per frame, not per ~64 MB. */
const collectChunks = youngGenerationCollector();

const NETWORK = /^(rtsps?|https?|rtmps?|srt|udp|tcp):\/\//i;

export function isNetworkSource(source: string): boolean {
  return NETWORK.test(source);
}

/** Hides `user:password@` of camera URLs (anywhere in the text) in logs and error messages. */
export function redactSource(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

/** Probes the first video stream with ffprobe (killed after `timeoutMs`, or via `signal`). */
export async function probeVideo(source: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<VideoInfo> {
  const args = ['-v', 'error', '-select_streams', 'v:0'];
  if (/^rtsps?:/i.test(source)) args.push('-rtsp_transport', 'tcp');
  args.push('-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,duration:format=duration', '-of', 'json', source);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.env.FFPROBE_PATH ?? 'ffprobe',
      args,
      { timeout: opts.timeoutMs ?? 15_000, killSignal: 'SIGKILL', signal: opts.signal, maxBuffer: 1 << 20 },
      (err, out, errOut) => {
        if (!err) return resolve(out);
        const why = redactSource(String(errOut).trim().split('\n').pop() || (err.killed ? 'timed out' : err.message));
        reject(new VideoSourceError('video_probe_failed', `cannot probe video source ${redactSource(source)}: ${why}`));
      },
    );
  });
  const json = JSON.parse(stdout) as {
    streams?: { width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string; duration?: string }[];
    format?: { duration?: string };
  };
  const s = json.streams?.[0];
  if (!s?.width || !s.height) throw new VideoSourceError('video_probe_failed', `no video stream in ${redactSource(source)}`);
  const duration = Number(json.format?.duration ?? s.duration);
  return {
    width: s.width,
    height: s.height,
    // avg_frame_rate is 0/0 on many RTSP cameras; r_frame_rate is then the best guess.
    fps: ratio(s.avg_frame_rate) || ratio(s.r_frame_rate),
    durationSeconds: Number.isFinite(duration) && duration > 0 ? duration : null,
  };
}

function ratio(r: string | undefined): number {
  const [n, d] = (r ?? '').split('/').map(Number);
  return d > 0 && n > 0 ? n / d : 0;
}

// Last resort against orphans: a Node process exiting normally (or on an uncaught exception) kills its ffmpegs.
const liveProcs = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(proc: ChildProcess): void {
  liveProcs.add(proc);
  proc.once('exit', () => liveProcs.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => liveProcs.forEach((p) => p.kill('SIGKILL')));
  }
}

/** One ffmpeg run. */
interface Session {
  id: number;
  width: number;
  height: number;
  proc?: ChildProcess;
  killed: boolean;
  /** Settles when the process is gone (or never started). */
  exited: Promise<void>;
  frames: Buffer[]; // decoded, waiting for their showinfo pts line
  pts: number[]; // session pts in ms, waiting for their frame
  tb: number; // ms per pts tick
  offsetMs?: number; // added to session pts to keep ptsMs monotonic across sessions
  heldWrite?: () => void; // fast mode: stdout write callback held back while the consumer is behind
  lastProgressAt: number;
  stdoutDone: boolean;
  result?: { error?: string };
}

type Waiter = { resolve: (r: IteratorResult<SourceFrame>) => void; reject: (e: unknown) => void };

/**
 * Frames as an async iterable (single consumer; breaking out of `for await` stops the source),
 * status changes as `status` events.
 */
export class VideoSource extends EventEmitter<{ status: [SourceStatus] }> implements AsyncIterable<SourceFrame> {
  readonly network: boolean;
  private readonly maxQueue: number;
  private readonly intervalMs: number;
  private session?: Session;
  private sessionCount = 0;
  private queue: SourceFrame[] = [];
  private waiter?: Waiter;
  private startPromise?: Promise<void>;
  private stopped = false;
  private finished = false;
  private failure?: Error;
  private attempt = 0;
  private everConnected = false;
  private lastPtsMs = -Infinity;
  private firstFrameWall = 0;
  private retryTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private probeAbort?: AbortController;
  private readonly counters: SourceStats = { produced: 0, delivered: 0, dropped: 0, restarts: 0, maxBacklog: 0 };
  private readonly pool = new FramePool();

  constructor(private readonly opts: VideoSourceOptions) {
    super();
    if (!(opts.fps > 0)) throw new RangeError(`fps must be > 0, got ${opts.fps}`);
    this.network = isNetworkSource(opts.source);
    this.maxQueue = Math.max(1, opts.maxQueue ?? (opts.mode === 'realtime' ? 1 : 3));
    this.intervalMs = 1000 / opts.fps;
  }

  /** pid of the running ffmpeg, if any. */
  get pid(): number | undefined {
    return this.session?.killed ? undefined : this.session?.proc?.pid;
  }

  get stats(): Readonly<SourceStats> {
    return { ...this.counters };
  }

  /**
   * Starts reading. A file that is missing or unreadable rejects here (and fails the iterator);
   * network sources resolve at once and keep retrying in the background.
   */
  start(): Promise<void> {
    this.startPromise ??= this.begin().catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      this.fail(error);
      throw error;
    });
    return this.startPromise;
  }

  /** Kills ffmpeg (SIGKILL) and resolves once the process has exited; ends the iterator. */
  /** The consumer is done with this frame: its buffer may carry a later frame. */
  recycle(frame: RgbFrame): void {
    this.pool.give(frame.data);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    this.probeAbort?.abort();
    this.queue.length = 0;
    const s = this.session;
    if (s) this.kill(s);
    this.finish();
    if (s) await s.exited;
  }

  [Symbol.asyncIterator](): AsyncIterator<SourceFrame> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  private async begin(): Promise<void> {
    if (!this.network) {
      try {
        await access(this.opts.source, constants.R_OK);
      } catch {
        throw new VideoSourceError('video_source_not_found', `video file not found or not readable: ${this.opts.source}`);
      }
    }
    if (this.stopped) return;
    if (this.network || this.opts.loop) {
      const ms = this.opts.watchdogSeconds * 1000;
      this.watchdog = setInterval(() => this.checkWatchdog(ms), Math.min(500, Math.max(50, ms / 4)));
      this.watchdog.unref();
    }
    await this.connect();
  }

  private get restartable(): boolean {
    // A looping file restarts only once it has been shown to work: a broken file fails at once.
    return this.network || (!!this.opts.loop && this.everConnected);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    try {
      const size = await this.outputSize();
      if (!this.stopped) this.spawn(size.width, size.height);
    } catch (err) {
      if (this.stopped) return;
      const message = err instanceof Error ? err.message : String(err);
      if (!this.restartable) throw err;
      this.setStatus({ state: 'error', message, fatal: false });
      this.scheduleReconnect(message);
    }
  }

  /** Given size, or the stream's own from ffprobe (re-probed per connect: a camera may be reconfigured). */
  private async outputSize(): Promise<{ width: number; height: number }> {
    const { width, height } = this.opts;
    if (width && height) return { width, height };
    this.probeAbort = new AbortController();
    const info = await probeVideo(this.opts.source, {
      timeoutMs: Math.max(5_000, this.opts.watchdogSeconds * 1000),
      signal: this.probeAbort.signal,
    });
    if (width) return { width, height: Math.max(1, Math.round((width * info.height) / info.width)) };
    if (height) return { width: Math.max(1, Math.round((height * info.width) / info.height)), height };
    return { width: info.width, height: info.height };
  }

  private spawn(width: number, height: number): void {
    const { opts } = this;
    let markExited!: () => void;
    const s: Session = {
      id: ++this.sessionCount,
      width,
      height,
      killed: false,
      exited: new Promise<void>((r) => (markExited = r)),
      frames: [],
      pts: [],
      tb: 1000 / opts.fps, // the fps filter's output time base is 1/fps; showinfo confirms it
      lastProgressAt: Date.now(),
      stdoutDone: false,
    };
    this.session = s;
    const splitter = new FrameSplitter(width * height * 3, this.pool);
    const sink = new Writable({
      emitClose: false, // fluent-ffmpeg treats a closing output stream as an error and kills ffmpeg
      write: (chunk: Buffer, _enc, cb) => {
        if (s.killed) return cb();
        for (const f of splitter.push(chunk)) s.frames.push(f);
        this.match(s);
        if (opts.mode === 'fast' && this.backlog() >= this.maxQueue) s.heldWrite = cb;
        else cb();
      },
      final: (cb) => {
        s.stdoutDone = true;
        this.sessionMaybeDone(s);
        cb();
      },
    });

    const input: string[] = ['-hide_banner', '-nostats', '-loglevel', 'info'];
    // ffmpeg's default thread pools (decoder and filters, one thread per core each) contend with the
    // inference workers for the same cores; on 2 cores one thread each was 5-10 % more frames/s.
    const threads = opts.decodeThreads ?? 1;
    if (threads > 0) input.push('-threads', String(threads), '-filter_threads', String(threads));
    if (this.network) {
      // 1 s of stream analysis instead of 5: faster (re)connects, and frames flow even from a camera that stalls soon after.
      input.push('-analyzeduration', '1000000');
      if (/^rtsps?:/i.test(opts.source)) input.push('-rtsp_transport', 'tcp');
    } else {
      if (opts.mode === 'realtime') input.push('-re');
      if (opts.loop) input.push('-stream_loop', '-1');
    }
    // stdoutLines bounds fluent-ffmpeg's stderr ring (0 would keep every line forever).
    const cmd = ffmpeg({ stdoutLines: 20 })
      .input(opts.source)
      .inputOptions(input)
      .noAudio()
      .videoFilters([`fps=${opts.fps}`, `scale=${width}:${height}`, 'showinfo=checksum=0'])
      // passthrough: exactly one output frame per showinfo line (no vsync dup/drop).
      .outputOptions(['-sn', '-dn', '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24'])
      .format('rawvideo')
      .output(sink, { end: true });

    cmd.on('start', (line: string) => {
      const proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      if (!proc) return;
      s.proc = proc;
      track(proc);
      proc.once('exit', () => markExited());
      if (s.killed) proc.kill('SIGKILL'); // stopped while fluent-ffmpeg was still preparing
      opts.logger?.debug({ cmd: redactSource(line), pid: proc.pid, session: s.id }, 'ffmpeg started');
    });
    cmd.on('stderr', (line: string) => {
      const info = parseShowinfo(line);
      if (!info || s.killed) return;
      if (info.kind === 'timebase') s.tb = (1000 * info.num) / info.den;
      else {
        s.pts.push(info.pts * s.tb);
        this.match(s);
      }
    });
    const done = (error?: string) => {
      markExited();
      if (!s.proc?.pid) s.stdoutDone = true; // never spawned: no stdout will end
      s.result = { error };
      this.sessionMaybeDone(s);
    };
    cmd.on('end', () => done());
    cmd.on('error', (err: Error) => done(redactSource(err.message)));
    cmd.run();
  }

  /** Pairs decoded frames with their pts lines, in order (stdout and stderr are read independently). */
  private match(s: Session): void {
    while (s.frames.length && s.pts.length) this.deliver(s, s.frames.shift()!, s.pts.shift()!);
  }

  private deliver(s: Session, data: Buffer, sessionPtsMs: number): void {
    const now = Date.now();
    if (s.offsetMs === undefined) {
      // First frame of this ffmpeg run: continue the timeline (after a gap in realtime, by wall clock).
      if (this.lastPtsMs === -Infinity) {
        this.firstFrameWall = now;
        s.offsetMs = Number.isNaN(sessionPtsMs) ? 0 : -Math.min(0, sessionPtsMs);
      } else {
        const wall = this.opts.mode === 'realtime' ? now - this.firstFrameWall : -Infinity;
        s.offsetMs = Math.max(this.lastPtsMs + this.intervalMs, wall) - (Number.isNaN(sessionPtsMs) ? 0 : sessionPtsMs);
      }
      this.everConnected = true;
      this.attempt = 0;
      this.setStatus({ state: 'connected', width: s.width, height: s.height });
    }
    let ptsMs = Number.isNaN(sessionPtsMs) ? this.lastPtsMs + this.intervalMs : s.offsetMs + sessionPtsMs;
    if (ptsMs <= this.lastPtsMs) ptsMs = this.lastPtsMs + this.intervalMs; // keep the promise: strictly increasing
    this.lastPtsMs = ptsMs;
    s.lastProgressAt = now;
    this.push({ frame: { width: s.width, height: s.height, data }, ptsMs, index: this.counters.produced++ });
    collectChunks(); // the stdout chunks this frame was cut from
  }

  private backlog(): number {
    return this.queue.length + (this.session?.frames.length ?? 0);
  }

  private push(item: SourceFrame): void {
    if (this.finished) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.counters.delivered++;
      w.resolve({ value: item, done: false });
      return;
    }
    this.queue.push(item);
    // Realtime: a slow consumer gets the newest frames; the oldest are dropped, never buffered without bound.
    if (this.opts.mode === 'realtime' && this.queue.length > this.maxQueue) {
      this.queue.shift();
      this.counters.dropped++;
      if (this.counters.dropped % 100 === 1) this.opts.logger?.debug({ dropped: this.counters.dropped }, 'consumer behind, frames dropped');
    }
    this.counters.maxBacklog = Math.max(this.counters.maxBacklog, this.backlog());
  }

  private next(): Promise<IteratorResult<SourceFrame>> {
    const item = this.queue.shift();
    if (item) {
      this.counters.delivered++;
      this.releaseWrite();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    if (!this.startPromise) this.start().catch(() => {}); // the failure reaches the waiter via fail()
    this.releaseWrite();
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Fast mode: lets ffmpeg write again once the consumer has caught up. */
  private releaseWrite(): void {
    const s = this.session;
    if (!s?.heldWrite || this.backlog() >= this.maxQueue) return;
    const cb = s.heldWrite;
    s.heldWrite = undefined;
    s.lastProgressAt = Date.now(); // time paused for the consumer is not a stall
    cb();
  }

  /** Called when either ffmpeg has exited or its stdout has ended; acts when both happened. */
  private sessionMaybeDone(s: Session): void {
    if (s.killed || s !== this.session || !s.result || !s.stdoutDone || this.stopped) return;
    // Frames whose pts line never came (should not happen): keep them, one interval apart.
    for (const f of s.frames.splice(0)) this.deliver(s, f, NaN);
    const error = s.result.error;
    if (this.restartable) {
      const reason = error ?? 'stream ended';
      if (error) this.setStatus({ state: 'error', message: error, fatal: false });
      this.scheduleReconnect(reason);
    } else if (error) {
      const err = new VideoSourceError('video_source_failed', `ffmpeg failed on ${redactSource(this.opts.source)}: ${error}`);
      this.fail(err);
    } else {
      this.setStatus({ state: 'ended' });
      this.finish();
    }
  }

  private checkWatchdog(limitMs: number): void {
    const s = this.session;
    if (!s || s.killed || this.stopped) return;
    if (s.heldWrite) return void (s.lastProgressAt = Date.now()); // paused for the consumer, not stalled
    const silentMs = Date.now() - s.lastProgressAt;
    if (silentMs < limitMs) return;
    this.setStatus({ state: 'stalled', silentMs });
    this.kill(s);
    this.scheduleReconnect(`no frame for ${Math.round(silentMs)} ms`);
  }

  private kill(s: Session): void {
    if (s.killed) return;
    s.killed = true;
    s.frames.length = 0;
    s.proc?.kill('SIGKILL'); // nothing to flush on a reader; SIGKILL cannot be ignored
    const cb = s.heldWrite; // let the pipe drain to EOF so fluent-ffmpeg sees the exit
    s.heldWrite = undefined;
    cb?.();
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped) return;
    this.attempt++;
    this.counters.restarts++;
    const { initialMs, maxMs } = this.opts.reconnect;
    const delayMs = Math.min(maxMs, initialMs * 2 ** (this.attempt - 1));
    this.setStatus({ state: 'reconnecting', attempt: this.attempt, delayMs, reason });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.connect().catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
    }, delayMs);
  }

  private setStatus(status: SourceStatus): void {
    const log = this.opts.logger;
    if (log) {
      const fields = { source: redactSource(this.opts.source), ...status };
      if (status.state === 'error') log.warn(fields, 'video source error');
      else log.info(fields, `video source ${status.state}`);
    }
    this.emit('status', status);
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.setStatus({ state: 'error', message: err.message, fatal: true });
    this.failure = err;
    clearInterval(this.watchdog);
    if (this.session) this.kill(this.session);
    this.finish();
  }

  /** Ends the iterator: queued frames are still delivered, then done (or the failure). */
  private finish(): void {
    this.finished = true;
    clearInterval(this.watchdog);
    const w = this.waiter;
    this.waiter = undefined;
    if (!w) return;
    if (this.failure) w.reject(this.failure);
    else w.resolve({ value: undefined, done: true });
  }
}

/**
 * Creates and starts a source (rejects at once for a missing file). Pass `onStatus` to see the
 * statuses emitted while starting (`connecting`), which a listener added afterwards misses.
 */
export async function openVideoSource(opts: VideoSourceOptions, onStatus?: (s: SourceStatus) => void): Promise<VideoSource> {
  const src = new VideoSource(opts);
  if (onStatus) src.on('status', onStatus);
  await src.start();
  return src;
}
