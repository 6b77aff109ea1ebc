import { describe, expect, it } from 'vitest';
import { ExemptVehicles, type ExemptVehicleAudit } from './exempt-vehicles.js';
import type { LifecycleEvent } from './violation.js';

const NOW = Date.parse('2026-12-05T08:00:00.000Z');

function event(state: LifecycleEvent['state'], eventId: string): LifecycleEvent {
  const candidate = { key: `kerb/${eventId}`, zoneId: 'kerb', type: 'illegal_parking' as const, label: 'car', confidence: 0.9, box: null, subjectTrackIds: ['T1'], dwellStartMs: NOW, firstSeenMs: NOW };
  return { state, eventId, candidate, firstSeenAtMs: NOW, discoveredAtMs: NOW, captureEvidence: state === 'started' };
}

function setup() {
  const audits: ExemptVehicleAudit[] = [];
  const gate = new ExemptVehicles([{ plate: '苏E·D51712' }], 'cam-1', (a) => audits.push(a));
  return { gate, audits };
}

describe('ExemptVehicles', () => {
  it('suppresses an exempt vehicle\'s violation from start to end, with one audit record', () => {
    const { gate, audits } = setup();
    expect(gate.suppresses(event('started', 'E1'), '苏ED51712', NOW)).toBe(true);
    expect(gate.suppresses(event('updated', 'E1'), '苏ED51712', NOW + 30_000)).toBe(true);
    expect(gate.suppresses(event('ended', 'E1'), undefined, NOW + 60_000)).toBe(true);
    expect(audits).toEqual([{ audit: 'exempt_vehicle', cameraId: 'cam-1', zoneId: 'kerb', plate: '苏ED51712', eventId: 'E1' }]);
  });

  it('lets through other plates, unread plates, and every event of those violations', () => {
    const { gate, audits } = setup();
    for (const [id, plate] of [['E2', '京A12345'], ['E3', undefined]] as const) {
      expect(gate.suppresses(event('started', id), plate, NOW)).toBe(false);
      expect(gate.suppresses(event('updated', id), plate, NOW)).toBe(false);
      expect(gate.suppresses(event('ended', id), undefined, NOW)).toBe(false);
    }
    expect(audits).toEqual([]);
  });

  it('decides at the start: a list changed later applies to violations that start afterwards', () => {
    const { gate } = setup();
    expect(gate.suppresses(event('started', 'E4'), '苏ED51712', NOW)).toBe(true);
    gate.update([]);
    expect(gate.suppresses(event('ended', 'E4'), undefined, NOW)).toBe(true); // its start was never sent
    expect(gate.suppresses(event('started', 'E5'), '苏ED51712', NOW)).toBe(false);
  });
});
