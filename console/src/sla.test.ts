import { describe, expect, it } from 'vitest';
import { slaLight, timeLeftMs, worstLight } from './sla';
import { countdown } from './format';

const SLA = { targetMinutes: 40, yellowAt: 0.5, redAt: 1 };
const T0 = Date.UTC(2026, 10, 26, 8, 0);
const min = (m: number) => T0 + m * 60_000;

describe('SLA light', () => {
  it('is green, then yellow at half the target, then red at the deadline', () => {
    expect(slaLight(T0, min(0), SLA)).toBe('green');
    expect(slaLight(T0, min(19.99), SLA)).toBe('green');
    expect(slaLight(T0, min(20), SLA)).toBe('yellow');
    expect(slaLight(T0, min(39.99), SLA)).toBe('yellow');
    expect(slaLight(T0, min(40), SLA)).toBe('red');
    expect(slaLight(T0, min(90), SLA)).toBe('red');
  });

  it('follows other thresholds', () => {
    expect(slaLight(T0, min(10), { targetMinutes: 20, yellowAt: 0.25, redAt: 0.75 })).toBe('yellow');
    expect(slaLight(T0, min(15), { targetMinutes: 20, yellowAt: 0.25, redAt: 0.75 })).toBe('red');
  });

  it('counts down to the deadline, then up past it with a minus sign', () => {
    const deadline = min(40);
    expect(countdown(timeLeftMs(deadline, min(0)))).toBe('40:00');
    expect(countdown(timeLeftMs(deadline, min(0) + 2500))).toBe('39:57');
    expect(countdown(timeLeftMs(deadline, min(40)))).toBe('00:00');
    expect(countdown(timeLeftMs(deadline, min(42) + 13_000))).toBe('−02:13');
    expect(countdown(3_723_000)).toBe('1:02:03');
  });

  it('shows a camera by its most urgent order', () => {
    expect(worstLight([])).toBeNull();
    expect(worstLight(['green', 'red', 'yellow'])).toBe('red');
    expect(worstLight(['green', 'yellow'])).toBe('yellow');
  });
});
