/**
 * Peak resident memory of this process. Linux's getrusage maxrss (process.resourceUsage().maxRSS)
 * keeps the high-water mark of the forked copy of the parent across exec: run from a bench that
 * had inference going, the edge pipeline read ~50 MB above its own peak. VmHWM is this process's
 * own address space only.
 */
import { readFileSync } from 'node:fs';

export function peakRssMb(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}
