/**
 * A camera's frame times: the stream's presentation time anchored to a wall-clock instant, so the
 * frames are the clock (a late frame keeps its own time, not when it happened to be processed).
 */
export class FrameClock {
  private baseMs: number | null;
  private lastMs: number | null = null;

  /** `startMs`: the wall-clock time of pts 0 (a replay); without it, the first frame is anchored to now. */
  constructor(
    private readonly fps: number,
    startMs?: number,
  ) {
    this.baseMs = startMs ?? null;
  }

  /** The wall-clock time of a frame at `ptsMs`. */
  at(ptsMs: number, nowMs = Date.now()): number {
    this.baseMs ??= nowMs - ptsMs;
    this.lastMs = this.baseMs + ptsMs;
    return this.lastMs;
  }

  /** The time of the last frame, or null before the first. */
  get last(): number | null {
    return this.lastMs;
  }

  /** When a source that ended stopped showing things: one frame interval after its last frame. */
  get end(): number | null {
    return this.lastMs === null ? null : this.lastMs + 1000 / this.fps;
  }

  /** A reconnected stream starts its pts afresh: anchor the next frame to the wall clock again. */
  reanchor(): void {
    this.baseMs = null;
  }
}
