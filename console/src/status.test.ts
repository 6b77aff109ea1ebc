import { describe, expect, it } from 'vitest';
import type { DesiredConfig } from './api-types';
import { reconnectDelayMs } from './backoff';
import { niceMax } from './chart-scale';
import { applyState } from './config-status';
import { deviceHealth, STALE_MS } from './device-health';

const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('box online or offline', () => {
  const online = { v: 1 as const, deviceId: 'b', state: 'online' as const, at: iso(NOW - 60_000) };
  it('is online while it says so and was heard of recently', () => {
    expect(deviceHealth({ revokedAt: null, lastSeenAt: iso(NOW - 5000), status: online }, NOW)).toBe('online');
  });
  it('is offline when it said so, was never heard, or has been silent too long', () => {
    expect(deviceHealth({ revokedAt: null, lastSeenAt: iso(NOW), status: { ...online, state: 'offline' } }, NOW)).toBe('offline');
    expect(deviceHealth({ revokedAt: null, lastSeenAt: null, status: null }, NOW)).toBe('offline');
    expect(deviceHealth({ revokedAt: null, lastSeenAt: iso(NOW - STALE_MS - 1), status: online }, NOW)).toBe('offline');
  });
  it('is revoked once revoked', () => {
    expect(deviceHealth({ revokedAt: iso(NOW), lastSeenAt: iso(NOW), status: online }, NOW)).toBe('revoked');
  });
});

describe('zone edit applied', () => {
  const desired = (version: number): DesiredConfig => ({ version, issuedAt: iso(NOW), by: 'op', config: { cameras: [] } });
  const reported = (version: number, status: 'applied' | 'rejected') => ({ message: { v: 1 as const, deviceId: 'b', version, status, at: iso(NOW) }, receivedAt: iso(NOW) });
  it('waits for the box, then shows its answer', () => {
    expect(applyState(null, undefined)).toBe('none');
    expect(applyState(desired(3), undefined)).toBe('pending');
    expect(applyState(desired(3), reported(2, 'applied'))).toBe('pending');
    expect(applyState(desired(3), reported(3, 'applied'))).toBe('applied');
    expect(applyState(desired(3), reported(4, 'applied'))).toBe('applied');
    expect(applyState(desired(3), reported(3, 'rejected'))).toBe('rejected');
  });
});

describe('reconnect delays and chart axes', () => {
  it('doubles the reconnect delay up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(reconnectDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
  it('tops an axis at a round number', () => {
    expect([0, 1, 7, 40, 41, 130, 0.3].map(niceMax)).toEqual([1, 1, 10, 50, 50, 200, 0.5]);
  });
});
