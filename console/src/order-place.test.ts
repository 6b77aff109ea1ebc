import { describe, expect, it } from 'vitest';
import { orderPlace } from './order-place';

const name = (d: string, c: string) => `${d}:${c}`;
const base = { deviceId: null, cameraId: null, zoneId: null, location: null, reports: [] };

describe('orderPlace', () => {
  it('a camera and zone when a camera saw it; else the address, else the position', () => {
    expect(orderPlace({ ...base, deviceId: 'pole-1', cameraId: 'cam-1', zoneId: 'kerb' }, name)).toBe('pole-1:cam-1 · kerb');
    expect(orderPlace({ ...base, location: { lat: 32.06, long: 118.79, address: '1 Zhongshan Rd' } }, name)).toBe('1 Zhongshan Rd');
    const report = { id: 'R1', source: 'open311' as const, description: '', location: null, address: '9 Hanzhong Rd', receivedAt: '2026-12-05T08:00:00.000Z', evidenceIds: [] };
    expect(orderPlace({ ...base, reports: [report] }, name)).toBe('9 Hanzhong Rd');
    expect(orderPlace({ ...base, location: { lat: 32.060001, long: 118.79 } }, name)).toBe('32.06000, 118.79000');
    expect(orderPlace(base, name)).toBe('—');
  });
});
