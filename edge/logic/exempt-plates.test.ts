import { describe, expect, it } from 'vitest';
import { ExemptPlates } from './exempt-plates.js';

const NOW = Date.parse('2026-12-05T08:00:00.000Z');
const HOUR = 3_600_000;

describe('ExemptPlates', () => {
  it('matches a plate typed with a separator to the recogniser\'s read, and both ways round', () => {
    expect(new ExemptPlates([{ plate: '苏E·D51712' }]).isExempt('苏ED51712', NOW)).toBe(true);
    expect(new ExemptPlates([{ plate: '苏ED51712' }]).isExempt('苏E·D51712', NOW)).toBe(true);
    // Full-width, lower case, a look-alike O in the serial.
    expect(new ExemptPlates([{ plate: '京ａ 1234O' }]).isExempt('京A12340', NOW)).toBe(true);
  });

  it('does not exempt other plates, or anything when the list is empty', () => {
    const exempt = new ExemptPlates([{ plate: '苏ED51712', reason: 'ambulance' }]);
    expect(exempt.isExempt('苏ED51713', NOW)).toBe(false);
    expect(exempt.isExempt('', NOW)).toBe(false);
    expect(new ExemptPlates([]).isExempt('苏ED51712', NOW)).toBe(false);
  });

  it('an exemption holds until its expiresAt, not after', () => {
    const exempt = new ExemptPlates([{ plate: '京A12345', expiresAt: new Date(NOW + HOUR).toISOString() }]);
    expect(exempt.isExempt('京A12345', NOW)).toBe(true);
    expect(exempt.isExempt('京A12345', NOW + HOUR - 1)).toBe(true);
    expect(exempt.isExempt('京A12345', NOW + HOUR)).toBe(false);
    expect(new ExemptPlates([{ plate: '京A12345', expiresAt: new Date(NOW - HOUR).toISOString() }]).isExempt('京A12345', NOW)).toBe(false);
  });

  it('a plate listed twice is exempt for the longer of its exemptions', () => {
    const expired = { plate: '京A12345', expiresAt: new Date(NOW - HOUR).toISOString() };
    expect(new ExemptPlates([expired, { plate: '京A·12345' }]).isExempt('京A12345', NOW + 1000 * HOUR)).toBe(true);
    expect(new ExemptPlates([{ plate: '京A12345' }, expired]).isExempt('京A12345', NOW + 1000 * HOUR)).toBe(true);
  });
});
