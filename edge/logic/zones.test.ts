import { describe, expect, it } from 'vitest';
import { scheduleSchema } from '../config.js';
import { bottomCenter, boxInZone, isScheduleActive, isValidTimeZone, localDayTime, pointInPolygon, type NormPoint } from './zones.js';

const FRAME = { width: 1000, height: 500 };
/** Lower half of the frame, right of x = 0.4. */
const KERB: NormPoint[] = [
  [0.4, 0.5],
  [1, 0.5],
  [1, 1],
  [0.4, 1],
];
/** L shape with the upper-right quarter cut out. */
const ELL: NormPoint[] = [
  [0, 0],
  [0.5, 0],
  [0.5, 0.5],
  [1, 0.5],
  [1, 1],
  [0, 1],
];

describe('zone geometry', () => {
  it('uses the bottom-centre of the box', () => {
    expect(bottomCenter({ x1: 100, y1: 50, x2: 300, y2: 250 })).toEqual({ x: 200, y: 250 });
  });

  it('counts a box in when its bottom-centre is inside, even if most of the box is outside', () => {
    // tall truck: mostly above the zone, wheels (bottom-centre 0.6, 0.6) inside
    expect(boxInZone({ x1: 500, y1: 0, x2: 700, y2: 300 }, KERB, FRAME)).toBe(true);
  });

  it('counts a box out when its bottom-centre is outside, even if the box overlaps the zone', () => {
    // box covers much of the zone but stands left of it: bottom-centre (0.35, 0.9)
    expect(boxInZone({ x1: 50, y1: 260, x2: 650, y2: 450 }, KERB, FRAME)).toBe(false);
    // above the zone: bottom-centre (0.7, 0.4)
    expect(boxInZone({ x1: 600, y1: 50, x2: 800, y2: 200 }, KERB, FRAME)).toBe(false);
  });

  it('converts pixels with the frame size (non-square frame)', () => {
    const b = { x1: 380, y1: 200, x2: 420, y2: 260 }; // bottom-centre (400, 260) px
    expect(boxInZone(b, KERB, { width: 1000, height: 500 })).toBe(true); // (0.4, 0.52): on the left edge
    expect(boxInZone(b, KERB, { width: 1001, height: 500 })).toBe(false); // (0.3996, 0.52)
    expect(boxInZone(b, KERB, { width: 1000, height: 540 })).toBe(false); // (0.4, 0.48): above
  });

  it('treats points on an edge or the frame border as inside', () => {
    expect(pointInPolygon(0.7, 1, KERB)).toBe(true);
    expect(pointInPolygon(1, 0.75, KERB)).toBe(true);
    expect(boxInZone({ x1: 600, y1: 400, x2: 800, y2: 500 }, KERB, FRAME)).toBe(true); // touches the frame bottom
  });

  it('handles concave polygons', () => {
    expect(pointInPolygon(0.25, 0.25, ELL)).toBe(true);
    expect(pointInPolygon(0.75, 0.75, ELL)).toBe(true);
    expect(pointInPolygon(0.75, 0.25, ELL)).toBe(false); // the notch
    expect(pointInPolygon(1.2, 0.75, ELL)).toBe(false);
  });
});

describe('isScheduleActive', () => {
  // 2024-01-01 is a Monday.
  const utc = (day: number, hh: number, mm = 0) => Date.UTC(2024, 0, day, hh, mm);
  const night = scheduleSchema.parse([{ days: ['mon'], from: '22:00', to: '06:00' }]);

  it('is always active without a schedule', () => {
    expect(isScheduleActive(undefined, utc(1, 3), 'UTC')).toBe(true);
  });

  it('applies days and from/to with `to` exclusive', () => {
    const office = scheduleSchema.parse([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:30' }]);
    expect(isScheduleActive(office, utc(1, 7, 59), 'UTC')).toBe(false);
    expect(isScheduleActive(office, utc(1, 8, 0), 'UTC')).toBe(true);
    expect(isScheduleActive(office, utc(1, 18, 29), 'UTC')).toBe(true);
    expect(isScheduleActive(office, utc(1, 18, 30), 'UTC')).toBe(false);
    expect(isScheduleActive(office, utc(6, 12), 'UTC')).toBe(false); // Saturday
  });

  it('defaults to every day', () => {
    const daily = scheduleSchema.parse([{ from: '07:00', to: '09:00' }]);
    for (let d = 1; d <= 7; d++) expect(isScheduleActive(daily, utc(d, 8), 'UTC')).toBe(true);
  });

  it('lets a window cross midnight into the next day', () => {
    expect(isScheduleActive(night, utc(1, 21, 59), 'UTC')).toBe(false);
    expect(isScheduleActive(night, utc(1, 22, 0), 'UTC')).toBe(true);
    expect(isScheduleActive(night, utc(1, 23, 59), 'UTC')).toBe(true);
    expect(isScheduleActive(night, utc(2, 0, 0), 'UTC')).toBe(true); // Tuesday morning belongs to Monday's window
    expect(isScheduleActive(night, utc(2, 5, 59), 'UTC')).toBe(true);
    expect(isScheduleActive(night, utc(2, 6, 0), 'UTC')).toBe(false);
    expect(isScheduleActive(night, utc(2, 22, 30), 'UTC')).toBe(false); // Tuesday evening: not listed
    expect(isScheduleActive(night, utc(1, 3, 0), 'UTC')).toBe(false); // Monday morning: Sunday not listed
  });

  it('treats from == to as the whole day', () => {
    const allDay = scheduleSchema.parse([{ days: ['sun'], from: '00:00', to: '00:00' }]);
    expect(isScheduleActive(allDay, utc(7, 0, 0), 'UTC')).toBe(true);
    expect(isScheduleActive(allDay, utc(7, 23, 59), 'UTC')).toBe(true);
    expect(isScheduleActive(allDay, utc(8, 0, 0), 'UTC')).toBe(false);
  });

  it('any of several windows', () => {
    const twoWindows = scheduleSchema.parse([
      { days: ['sat'], from: '10:00', to: '12:00' },
      { days: ['sun'], from: '14:00', to: '15:00' },
    ]);
    expect(isScheduleActive(twoWindows, utc(6, 11), 'UTC')).toBe(true);
    expect(isScheduleActive(twoWindows, utc(7, 14, 30), 'UTC')).toBe(true);
    expect(isScheduleActive(twoWindows, utc(7, 11), 'UTC')).toBe(false);
  });

  it('evaluates in the given time zone', () => {
    // Mon 21:30 UTC = Mon 22:30 in Paris (UTC+1 in winter)
    expect(isScheduleActive(night, utc(1, 21, 30), 'UTC')).toBe(false);
    expect(isScheduleActive(night, utc(1, 21, 30), 'Europe/Paris')).toBe(true);
    // Tue 06:30 UTC = Tue 01:30 in New York (UTC-5): still inside Monday's night window there
    expect(isScheduleActive(night, utc(2, 6, 30), 'UTC')).toBe(false);
    expect(isScheduleActive(night, utc(2, 6, 30), 'America/New_York')).toBe(true);
    // Tue 04:30 UTC = Mon 23:30 in New York
    expect(localDayTime(utc(2, 4, 30), 'America/New_York')).toEqual({ day: 'mon', minutes: 23 * 60 + 30 });
    // summer time: 2024-07-01 (Mon) 20:30 UTC = 22:30 in Paris (UTC+2)
    expect(isScheduleActive(night, Date.UTC(2024, 6, 1, 20, 30), 'Europe/Paris')).toBe(true);
  });

  it('reports midnight as 00:00, not 24:00', () => {
    expect(localDayTime(utc(2, 0, 0), 'UTC')).toEqual({ day: 'tue', minutes: 0 });
  });

  it('recognises unknown time zones', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => isScheduleActive(night, utc(1, 1), 'Mars/Olympus')).toThrow(RangeError);
  });
});
