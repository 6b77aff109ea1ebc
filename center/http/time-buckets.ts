/**
 * Calendar buckets (local hours or days) in a time zone — pure. Keys are local wall-clock labels,
 * `YYYY-MM-DD` or `YYYY-MM-DDTHH`, so a day is the centre's day, however long DST makes it.
 */
export type BucketSize = 'hour' | 'day';

export interface Bucket {
  /** Local label, `2026-11-26` or `2026-11-26T08`. */
  key: string;
  /** First instant of the bucket inside the requested range, epoch ms. */
  startMs: number;
}

/** Every real zone's offset is a multiple of 15 minutes, so stepping by it meets every boundary. */
const STEP_MS = 15 * 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(size: BucketSize, timeZone: string): Intl.DateTimeFormat {
  const k = `${size}|${timeZone}`;
  let f = formatters.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', ...(size === 'hour' ? { hour: '2-digit', hourCycle: 'h23' } : {}) });
    formatters.set(k, f);
  }
  return f;
}

export function bucketKey(ms: number, size: BucketSize, timeZone: string): string {
  const p = Object.fromEntries(formatter(size, timeZone).formatToParts(ms).map((x) => [x.type, x.value]));
  const day = `${p.year}-${p.month}-${p.day}`;
  return size === 'hour' ? `${day}T${p.hour}` : day;
}

/** The buckets that [fromMs, toMs) touches, oldest first. */
export function timeBuckets(fromMs: number, toMs: number, size: BucketSize, timeZone: string): Bucket[] {
  const out: Bucket[] = [];
  const add = (ms: number) => {
    const key = bucketKey(ms, size, timeZone);
    if (out.at(-1)?.key !== key) out.push({ key, startMs: ms });
  };
  add(fromMs);
  for (let t = Math.ceil(fromMs / STEP_MS) * STEP_MS; t < toMs; t += STEP_MS) add(t);
  return out;
}
