/**
 * How many cameras one box carries in real time: the verdict on one multi-camera run, and the
 * search for the largest camera count that passes, under a time budget. Pure: the runs are given.
 */

/** What one real-time run of N cameras in one edge agent measured over its window (bench/edge-cameras.ts). */
export interface CamerasRun {
  cameras: number;
  /** Frames each camera should have given over the window: window seconds × fps. */
  expectedPerCamera: number;
  /** Per camera: frames its ffmpeg produced, dropped before the pipeline took them, and the pipeline processed. */
  offered: number[];
  dropped: number[];
  processed: number[];
  /** Largest lag over the window: how far the age of a camera's newest processed frame rose above its least, ms. */
  maxLagMs: number;
}

export interface CamerasVerdict {
  ok: boolean;
  /** Frames a source's queue dropped because its pipeline was still busy: the pipeline itself skips none. */
  drops: number;
  why?: string;
}

/**
 * Frames a camera may have taken but not yet processed at the window's edge without falling behind:
 * the one its source keeps for the pipeline and the one in the pipeline. The window's counts are
 * differences, so a steady camera's (offered − dropped − processed) stays within ±2.
 */
const IN_FLIGHT = 2;

/**
 * A run passes with every camera's frames processed, none dropped, and the lag bounded. The lag also catches a source starved
 * of CPU: ffmpeg paces a file at its own rate (`-re`), so one that cannot keep up falls behind the
 * wall clock its frames are timed by. A camera whose frames were neither dropped nor processed
 * beyond what is in flight has a backlog that grew over the window: it is falling behind too, even
 * before its lag passes the bound.
 */
export function judgeRun(run: CamerasRun, maxLagMs: number): CamerasVerdict {
  const drops = run.dropped.reduce((a, b) => a + b, 0);
  const silent = run.processed.filter((n) => n === 0).length;
  const backlog = run.offered.map((n, i) => n - run.dropped[i] - run.processed[i]);
  const behind = backlog.filter((n) => n > IN_FLIGHT);
  const why = [
    drops ? `${drops} frames dropped` : '',
    silent ? `${silent} cameras gave no frame` : '',
    behind.length ? `${behind.length} cameras fell behind (${behind.reduce((a, b) => a + b, 0)} frames queued)` : '',
    run.maxLagMs > maxLagMs ? `lag ${(run.maxLagMs / 1000).toFixed(1)} s > ${(maxLagMs / 1000).toFixed(1)} s` : '',
  ].filter(Boolean).join(', ');
  return why ? { ok: false, drops, why } : { ok: true, drops };
}

export interface Trial<T> {
  cameras: number;
  ok: boolean;
  result: T;
}

export interface CapacityResult<T> {
  /** Largest camera count that passed (0: not even one). */
  carried: number;
  /** The smallest count that failed, if any was tried. */
  failed?: Trial<T>;
  /** The boundary was found (failed at carried + 1, or carried is the cap); false when the budget ran out first. */
  exact: boolean;
  trials: Trial<T>[];
}

export interface SearchOptions<T> {
  /** First count to try (an estimate: the search doubles up from it, or bisects down). */
  start: number;
  /** Never try more than this many cameras. */
  max: number;
  /** No trial starts once the one before it would not fit in what is left. */
  budgetMs: number;
  now: () => number;
  /**
   * While no count has failed: how many cameras a passing run suggests the box carries (e.g. from
   * its CPU use). The next count tried is this, at least one more; one that fails is then stepped
   * down from (see searchCapacity) rather than halved.
   */
  estimate?: (passed: Trial<T>) => number;
}

/**
 * Doubles the camera count (or steps to the estimate) until a run fails or `max` passes, then
 * closes in between the largest count that passed and the smallest that failed by halves. With an
 * estimate that failed, it first steps down from it by 1, 2, 4… (never past halfway), since the
 * boundary is likely just below a good estimate: 3–5 runs instead of ~7 when it is off by a few.
 * Assumes that more cameras never pass where fewer failed.
 */
export async function searchCapacity<T>(run: (cameras: number) => Promise<{ ok: boolean; result: T }>, opts: SearchOptions<T>): Promise<CapacityResult<T>> {
  const t0 = opts.now();
  const trials: Trial<T>[] = [];
  let carried = 0;
  let failed: Trial<T> | undefined;
  let longestMs = 0;
  const up = (passed: Trial<T>) => Math.min(opts.max, Math.max(passed.cameras + 1, Math.round(opts.estimate ? opts.estimate(passed) : 2 * passed.cameras)));
  const closeIn = (above: number): number => {
    const half = Math.floor((carried + above) / 2);
    if (above - carried <= 1 || !opts.estimate) return half; // half === carried: closed
    // Overshot the estimate: down from it in steps of 1, 2, 4… until a count passes, then by halves.
    const sinceFailed = trials.slice(trials.findIndex((t) => !t.ok));
    return sinceFailed.every((t) => !t.ok) ? Math.max(above - 2 ** (sinceFailed.length - 1), half) : half;
  };
  for (;;) {
    const last = trials.at(-1); // until one fails, the last passed
    const next = failed ? closeIn(failed.cameras) : last ? up(last) : Math.min(Math.max(1, opts.start), opts.max);
    if (next === carried) break; // bracket closed, or passed at the cap
    const started = opts.now();
    if (trials.length && started - t0 + longestMs > opts.budgetMs) break;
    const { ok, result } = await run(next);
    longestMs = Math.max(longestMs, opts.now() - started);
    const trial = { cameras: next, ok, result };
    trials.push(trial);
    if (ok) carried = next;
    else failed = trial;
  }
  const exact = failed ? failed.cameras === carried + 1 : carried === opts.max;
  return { carried, failed, exact, trials };
}
