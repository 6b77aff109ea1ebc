import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcessCpuMeter, processCpuSeconds } from './process-cpu.js';

describe('processCpuSeconds', () => {
  it('follows a busy process and is undefined for one that is gone', async () => {
    const busy = spawn('node', ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);']);
    const exited = new Promise((r) => busy.on('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    const early = processCpuSeconds(busy.pid)!;
    await new Promise((r) => setTimeout(r, 800));
    const later = processCpuSeconds(busy.pid)!;
    expect(early).toBeGreaterThanOrEqual(0);
    expect(later - early).toBeGreaterThan(0.3); // mostly on a core for 0.8 s
    await exited;
    expect(processCpuSeconds(busy.pid)).toBeUndefined();
    expect(processCpuSeconds(undefined)).toBeUndefined();
  });
});

describe('ProcessCpuMeter', () => {
  it('gives the cores used between samples, a new process counted from zero, nothing without one', async () => {
    const busy = spawn('node', ['-e', 'const end = Date.now() + 1500; while (Date.now() < end);']);
    const exited = new Promise((r) => busy.on('exit', r));
    const meter = new ProcessCpuMeter();
    expect(meter.sample(undefined)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 400));
    const sinceStart = meter.sample(busy.pid)!; // appeared since the last sample: all its CPU counts
    expect(sinceStart).toBeGreaterThan(0.3);
    expect(sinceStart).toBeLessThanOrEqual(1.2);
    await new Promise((r) => setTimeout(r, 600));
    const busyCores = meter.sample(busy.pid)!;
    expect(busyCores).toBeGreaterThan(0.5); // a spinning thread: about one core
    expect(busyCores).toBeLessThanOrEqual(1.2);
    await exited;
    expect(meter.sample(busy.pid)).toBeUndefined();
  });
});
