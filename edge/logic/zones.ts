/** Zone geometry (normalised polygons) and active-hours schedules. */
import type { PixelBox } from '../../detector/types.js';
import { DAYS } from '../../contract/zones.js';
import type { FrameSize } from './violation.js';

/** A zone's active hours, its days filled in (the config defaults them to every day). */
export type Schedule = readonly { days: readonly Weekday[]; from: string; to: string }[];

export type NormPoint = readonly [number, number];

/** Where an object touches the ground: the middle of the box's bottom edge (pixels). */
export function bottomCenter(box: PixelBox): { x: number; y: number } {
  return { x: (box.x1 + box.x2) / 2, y: box.y2 };
}

/** Even-odd ray casting; points on an edge count as inside (a box touching the frame edge stays in a zone drawn to it). */
export function pointInPolygon(x: number, y: number, polygon: readonly NormPoint[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (onSegment(x, y, xi, yi, xj, yj)) return true;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function onSegment(x: number, y: number, x1: number, y1: number, x2: number, y2: number): boolean {
  const eps = 1e-9;
  const cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
  if (Math.abs(cross) > eps) return false;
  return x >= Math.min(x1, x2) - eps && x <= Math.max(x1, x2) + eps && y >= Math.min(y1, y2) - eps && y <= Math.max(y1, y2) + eps;
}

/** An object is in a zone when its bottom-centre (converted to 0..1 by the frame size) is inside the polygon. */
export function boxInZone(box: PixelBox, polygon: readonly NormPoint[], frame: FrameSize): boolean {
  const p = bottomCenter(box);
  return pointInPolygon(p.x / frame.width, p.y / frame.height, polygon);
}

export type Weekday = (typeof DAYS)[number];

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local weekday and minute of the day at tsMs in an IANA time zone (throws RangeError for an unknown zone). */
export function localDayTime(tsMs: number, timeZone: string): { day: Weekday; minutes: number } {
  const parts = formatterFor(timeZone).formatToParts(tsMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Whether a rule applies at tsMs. No schedule = always. `to` is exclusive; a window with
 * from > to crosses midnight and belongs to the day it starts on (fri 22:00→06:00 covers Sat
 * morning); from == to means the whole day.
 */
export function isScheduleActive(schedule: Schedule | undefined, tsMs: number, timeZone: string): boolean {
  if (!schedule) return true;
  const { day, minutes } = localDayTime(tsMs, timeZone);
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7];
  return schedule.some((w) => {
    const from = toMinutes(w.from);
    const to = toMinutes(w.to);
    if (from === to) return w.days.includes(day);
    if (from < to) return w.days.includes(day) && minutes >= from && minutes < to;
    return (w.days.includes(day) && minutes >= from) || (w.days.includes(yesterday) && minutes < to);
  });
}
