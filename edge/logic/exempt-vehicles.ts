/**
 * Holds back the violations of exempt vehicles. The decision is taken once, at a violation's
 * `started` event: its plate is known by then (reads begin as soon as a vehicle stands in a
 * no_parking zone and `started` waits for the read in flight, while the dwell is far longer than a
 * read). A suppressed violation sends nothing at all — no updates, no `ended` — so the centre never
 * hears of it; each one gives one audit record instead.
 */
import type { ExemptPlate } from '../../contract/index.js';
import { ExemptPlates } from './exempt-plates.js';
import type { LifecycleEvent } from './violation.js';

export interface ExemptVehicleAudit {
  audit: 'exempt_vehicle';
  cameraId: string;
  zoneId: string;
  plate: string;
  eventId: string;
}

export class ExemptVehicles {
  private plates: ExemptPlates;
  /** Violations suppressed at their start, until their `ended` event. */
  private readonly suppressed = new Set<string>();

  constructor(
    list: readonly ExemptPlate[],
    private readonly cameraId: string,
    private readonly onExempt: (audit: ExemptVehicleAudit) => void,
  ) {
    this.plates = new ExemptPlates(list);
  }

  /** A new list (remote config) applies to violations that start from now on. */
  update(list: readonly ExemptPlate[]): void {
    this.plates = new ExemptPlates(list);
  }

  /** Whether the event must not be published; `plate` is the vehicle's voted plate text, if read. */
  suppresses(ev: LifecycleEvent, plate: string | undefined, nowMs: number): boolean {
    if (ev.state !== 'started') {
      const held = this.suppressed.has(ev.eventId);
      if (ev.state === 'ended') this.suppressed.delete(ev.eventId);
      return held;
    }
    if (plate === undefined || !this.plates.isExempt(plate, nowMs)) return false;
    this.suppressed.add(ev.eventId);
    this.onExempt({ audit: 'exempt_vehicle', cameraId: this.cameraId, zoneId: ev.candidate.zoneId, plate, eventId: ev.eventId });
    return true;
  }
}
