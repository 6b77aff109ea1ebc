import { describe, expect, it } from 'vitest';
import { doctorFailed, formatReport } from '../doctor.js';
import { describeBrokerError } from './broker.js';
import { classifyClockOffset, classifyDecodeLoad, classifyDiskSpace, classifyFrameRate, classifyInference, steadyFrameRate, type CheckResult } from './verdicts.js';

const MB = 1024 * 1024;

describe('doctor verdicts', () => {
  it('frame rate: on time passes, a little slow warns, under half fails; a stream slower than fps warns', () => {
    expect(classifyFrameRate({ configuredFps: 5, measuredFps: 4.9, sourceFps: 10 })).toEqual({ status: 'pass', detail: '4.9 frames/s (configured 5), stream 10.0 fps' });
    expect(classifyFrameRate({ configuredFps: 5, measuredFps: 4 }).status).toBe('warn');
    expect(classifyFrameRate({ configuredFps: 10, measuredFps: 4.9 })).toMatchObject({ status: 'fail', detail: expect.stringContaining('too slowly') });
    expect(classifyFrameRate({ configuredFps: 10, measuredFps: 10, sourceFps: 6 })).toMatchObject({ status: 'warn', detail: expect.stringContaining('frames are repeated') });
    // Short of fps because the stream itself is slower: that is the cause named.
    expect(classifyFrameRate({ configuredFps: 10, measuredFps: 8, sourceFps: 2 })).toMatchObject({ status: 'warn', detail: expect.stringContaining('frames are repeated') });
  });

  it('frame rate is measured without the longest gap: one late frame is not a slow camera, a slow camera still is', () => {
    // 2 fps for 5 s, one frame 0.5 s late: 9 frames over 4.5 s.
    expect(steadyFrameRate({ frames: 9, spanMs: 4500, longestGapMs: 1000 })).toBeCloseTo(2, 5);
    // Really 1.5 fps: every gap 667 ms.
    expect(steadyFrameRate({ frames: 8, spanMs: 7 * 667, longestGapMs: 667 })).toBeCloseTo(1.5, 1);
    // Every other frame lost: every gap 1 s.
    expect(steadyFrameRate({ frames: 5, spanMs: 4000, longestGapMs: 1000 })).toBeCloseTo(1, 5);
    // Two frames: one gap, nothing to leave out.
    expect(steadyFrameRate({ frames: 2, spanMs: 500, longestGapMs: 500 })).toBeCloseTo(2, 5);
  });

  it('decoding: named in cores; near all the decodeThreads allow warns; not judged when ffmpeg picks its threads', () => {
    expect(classifyDecodeLoad(0.124, 1)).toEqual({ status: 'pass', detail: 'decoding 12 % of a core' });
    expect(classifyDecodeLoad(0.95, 1)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^decoding 95 % of a core, all that decodeThreads: 1 allows: .*raise cameras\[\]\.decodeThreads$/) });
    expect(classifyDecodeLoad(1.5, 2).status).toBe('pass');
    expect(classifyDecodeLoad(1.9, 2).status).toBe('warn');
    expect(classifyDecodeLoad(1.9, 0).status).toBe('pass');
  });

  it('clock: ≤ 2 s passes, ≤ 30 s warns, beyond fails; the sign says who is behind', () => {
    expect(classifyClockOffset(12, 3)).toEqual({ status: 'pass', detail: 'box clock in step with the centre (±3 ms)' });
    expect(classifyClockOffset(80, 100).detail).toBe('box clock in step with the centre (±100 ms)');
    expect(classifyClockOffset(-1500, 3)).toEqual({ status: 'pass', detail: 'box clock 1.5 s ahead of the centre (±3 ms)' });
    expect(classifyClockOffset(2500, 3)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^box clock 2\.5 s behind the centre/) });
    expect(classifyClockOffset(-30_000, 3).status).toBe('warn');
    expect(classifyClockOffset(-60_000, 3)).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^box clock 60\.0 s ahead of the centre .*SLA deadlines shift/) });
  });

  it('disk: free space against what the spool may still grow by', () => {
    const budget = 256 * MB;
    expect(classifyDiskSpace({ freeBytes: 10_000 * MB, budgetBytes: budget, usedBytes: 0 })).toEqual({ status: 'pass', detail: '10000 MB free; the spool holds 0 MB of its 256 MB budget' });
    expect(classifyDiskSpace({ freeBytes: 400 * MB, budgetBytes: budget, usedBytes: 0 }).status).toBe('warn');
    expect(classifyDiskSpace({ freeBytes: 200 * MB, budgetBytes: budget, usedBytes: 0 }).status).toBe('fail');
    // Bytes already in the spool are on the disk already: 200 MB free is room for the last 100.
    expect(classifyDiskSpace({ freeBytes: 200 * MB, budgetBytes: budget, usedBytes: 156 * MB }).status).toBe('pass');
  });

  it('inference: within the frame interval passes, slower warns, seconds fail', () => {
    expect(classifyInference(40, 10)).toEqual({ status: 'pass', detail: '40 ms per frame' });
    expect(classifyInference(150, 10)).toMatchObject({ status: 'warn', detail: expect.stringContaining('over the 100 ms between frames at 10 fps') });
    expect(classifyInference(6000, 1).status).toBe('fail');
  });

  it('broker errors: a refused login, TLS, an unreachable host and a dropped connection read differently', () => {
    const err = (message: string, code?: string | number) => Object.assign(new Error(message), { code });
    expect(describeBrokerError(err('Connection refused: Bad username or password', 4), { tls: false })).toMatch(/^login refused: bad username or password/);
    expect(describeBrokerError(err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), { tls: true })).toMatch(/^TLS failed: self-signed certificate .*mqtt\.caFile/);
    expect(describeBrokerError(err("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), { tls: true })).toMatch(/^TLS failed/);
    expect(describeBrokerError(err('127.0.0.1:9: ECONNREFUSED', 'ECONNREFUSED'), false)).toBe('unreachable: 127.0.0.1:9: ECONNREFUSED');
    expect(describeBrokerError(err('socket hang up', 'ECONNRESET'), { tls: true })).toMatch(/^connection dropped: .*TLS port/);
  });

  it('report: one aligned line per check, a count, and failure decides the exit code', () => {
    const results: CheckResult[] = [
      { check: 'config', status: 'pass', detail: 'device pole-1, 1 camera' },
      { check: 'camera cam-1', status: 'warn', detail: 'disabled (enabled: false): not checked' },
      { check: 'broker', status: 'fail', detail: 'unreachable: x' },
    ];
    expect(formatReport('/etc/edge.yaml', results)).toBe([
      'streetwatch edge doctor: /etc/edge.yaml',
      'PASS  config        device pole-1, 1 camera',
      'WARN  camera cam-1  disabled (enabled: false): not checked',
      'FAIL  broker        unreachable: x',
      '1 passed, 1 warning, 1 failed',
    ].join('\n'));
    expect(doctorFailed(results)).toBe(true);
    expect(doctorFailed(results.slice(0, 2))).toBe(false);
    expect(formatReport('e.yaml', [{ check: 'config', status: 'fail', detail: 'invalid config e.yaml:\n  mqtt.url: bad' }])).toContain('FAIL  config  invalid config e.yaml:\n                mqtt.url: bad');
  });
});
