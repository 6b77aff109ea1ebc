import { describe, expect, it } from 'vitest';
import { deadline, escalationTimes, slaLevelAt, slaMet } from './sla.js';
import type { WorkOrder } from './work-order.js';

const sla = { targetMinutes: 40, yellowAt: 0.5, redAt: 1 };
const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const iso = (min: number) => new Date(T0 + min * 60_000).toISOString();
const MIN = 60_000;

type Slice = Pick<WorkOrder, 'state' | 'stateTimes' | 'deadlineAt' | 'discoveredAt'>;
const o = (state: WorkOrder['state'], closedMin?: number): Slice => ({
  state, discoveredAt: iso(0), deadlineAt: iso(40), stateTimes: { dispatched: iso(1), ...(closedMin !== undefined ? { [state]: iso(closedMin) } : {}) },
});

describe('sla arithmetic', () => {
  it('puts the deadline target minutes after discovery', () => {
    expect(deadline(T0, sla)).toBe(T0 + 40 * MIN);
  });
  it('escalates at yellowAt and redAt fractions of the target', () => {
    expect(escalationTimes(T0, sla)).toEqual({ yellowAtMs: T0 + 20 * MIN, redAtMs: T0 + 40 * MIN });
    expect(escalationTimes(T0, { targetMinutes: 30, yellowAt: 0.75, redAt: 1.5 })).toEqual({ yellowAtMs: T0 + 22.5 * MIN, redAtMs: T0 + 45 * MIN });
  });
  it('gives the level at a time, from epoch ms, ISO or an order', () => {
    expect(slaLevelAt(T0, T0 + 20 * MIN - 1, sla)).toBe('green');
    expect(slaLevelAt(T0, T0 + 20 * MIN, sla)).toBe('yellow');
    expect(slaLevelAt(iso(0), T0 + 40 * MIN, sla)).toBe('red');
    expect(slaLevelAt(o('dispatched'), T0 + 50 * MIN, sla)).toBe('red');
  });
  it('freezes a closed order at its closing time', () => {
    expect(slaLevelAt(o('resolved', 10), T0 + 90 * MIN, sla)).toBe('green');
    expect(slaLevelAt(o('resolved', 30), T0 + 90 * MIN, sla)).toBe('yellow');
  });
});

describe('slaMet', () => {
  it('is true when handled by the deadline (inclusive)', () => {
    expect(slaMet(o('resolved', 39))).toBe(true);
    expect(slaMet(o('resolved', 40))).toBe(true);
    expect(slaMet(o('self_cleared', 5))).toBe(true);
    expect(slaMet(o('rejected', 2))).toBe(true);
  });
  it('is false when late, still open or cancelled', () => {
    expect(slaMet(o('resolved', 41))).toBe(false);
    expect(slaMet(o('on_site'))).toBe(false);
    expect(slaMet(o('cancelled', 3))).toBe(false);
  });
});
