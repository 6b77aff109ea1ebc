import { statfs } from 'node:fs/promises';
import { freemem, loadavg } from 'node:os';

export interface SystemStats {
  cpuPercent: number;
  rssMb: number;
  memFreeMb: number;
  diskFreeMb: number;
  loadAvg1: number;
  uptimeSeconds: number;
}

const MB = 1024 * 1024;

/** Samples the agent's own CPU share since the previous sample, and the box's memory and disk. */
export class SystemSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  constructor(private readonly diskPath: string) {}

  async sample(): Promise<SystemStats> {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = process.hrtime.bigint();
    const wallUs = Number(now - this.lastAt) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    let diskFreeMb = 0;
    try {
      const fs = await statfs(this.diskPath);
      diskFreeMb = (fs.bavail * fs.bsize) / MB;
    } catch {
      // The spool folder may not exist yet; report 0 rather than fail telemetry.
    }
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      cpuPercent: round(wallUs > 0 ? ((cpu.user + cpu.system) / wallUs) * 100 : 0),
      rssMb: round(process.memoryUsage.rss() / MB),
      memFreeMb: round(freemem() / MB),
      diskFreeMb: round(diskFreeMb),
      loadAvg1: round(loadavg()[0]),
      uptimeSeconds: Math.round(process.uptime()),
    };
  }
}
