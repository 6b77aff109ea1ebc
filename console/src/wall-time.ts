/**
 * A wall-clock time typed in a form (`<input type="datetime-local">`) read in the centre's time
 * zone — pure. The console shows every time in that zone, so what one types must mean the same;
 * the browser's own zone (a laptop set elsewhere) must not shift it.
 */

/** `2026-12-31T18:00` (seconds optional) in `timeZone` → the ISO instant; throws on anything else. */
export function wallTimeToIso(local: string, timeZone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) throw new Error(`not a date and time: "${local}"`);
  const [y, mo, d, h, mi, sec] = m.slice(1).map((x) => Number(x ?? 0));
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, sec);
  // The zone's offset at the guess, then at the result: they differ only across a DST change.
  let at = asUtc - offsetMs(asUtc, timeZone);
  at = asUtc - offsetMs(at, timeZone);
  return new Date(at).toISOString();
}

/** How far `timeZone`'s wall clock is ahead of UTC at `ms`. */
function offsetMs(ms: number, timeZone: string): number {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (ms % 1000));
}
