/**
 * CPU seconds of this process's finished child processes (the ffmpeg decoding a replay), which
 * process.cpuUsage leaves out: Linux's cutime + cstime in /proc/self/stat, in USER_HZ (100) ticks.
 * 0 where there is no /proc.
 */
import { readFileSync } from 'node:fs';

export function childrenCpuSeconds(): number {
  try {
    // Fields after the command name (which may hold spaces) start at the state, field 3; cutime, cstime are 16, 17.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / 100;
  } catch {
    return 0;
  }
}
