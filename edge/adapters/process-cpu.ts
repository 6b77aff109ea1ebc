/** CPU time of another process (ffmpeg), from Linux's /proc; undefined where there is none. */
import { readFileSync } from 'node:fs';

/** Linux reports utime/stime in USER_HZ ticks, 100 per second on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far, or undefined (no /proc, process gone). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (2nd field) is in parentheses and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
}

/**
 * The cores a process (ffmpeg) used between samples. A process that appeared since the previous
 * sample (first start, restart) counts from zero: all its CPU fell in that interval.
 */
export class ProcessCpuMeter {
  private last: { pid?: number; seconds: number; atMs: number };

  constructor(atMs = performance.now()) {
    this.last = { seconds: 0, atMs };
  }

  /** Cores used since the previous sample (or since construction); undefined without /proc or process. */
  sample(pid: number | undefined, atMs = performance.now()): number | undefined {
    const seconds = processCpuSeconds(pid);
    const prev = this.last;
    this.last = { pid: seconds === undefined ? undefined : pid, seconds: seconds ?? 0, atMs };
    if (seconds === undefined || atMs <= prev.atMs) return undefined;
    const base = prev.pid === pid ? prev.seconds : 0;
    return (seconds - base) / ((atMs - prev.atMs) / 1000);
  }
}
