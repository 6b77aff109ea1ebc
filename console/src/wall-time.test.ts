import { describe, expect, it } from 'vitest';
import { wallTimeToIso } from './wall-time';

describe('a typed date and time in the centre\'s zone', () => {
  it('is read in that zone, not the browser\'s', () => {
    expect(wallTimeToIso('2026-12-31T18:00', 'Asia/Shanghai')).toBe('2026-12-31T10:00:00.000Z');
    expect(wallTimeToIso('2026-12-31T18:00', 'UTC')).toBe('2026-12-31T18:00:00.000Z');
    expect(wallTimeToIso('2026-12-31T18:00:30', 'Asia/Shanghai')).toBe('2026-12-31T10:00:30.000Z');
  });

  it('follows daylight saving time on either side of the change', () => {
    expect(wallTimeToIso('2026-03-29T01:30', 'Europe/Berlin')).toBe('2026-03-29T00:30:00.000Z');
    expect(wallTimeToIso('2026-03-29T03:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    expect(wallTimeToIso('2026-07-01T12:00', 'America/New_York')).toBe('2026-07-01T16:00:00.000Z');
  });

  it('refuses what is not a date and time', () => {
    expect(() => wallTimeToIso('', 'UTC')).toThrow('not a date and time: ""');
    expect(() => wallTimeToIso('31.12.2026 18:00', 'UTC')).toThrow(/not a date and time/);
  });
});
