/**
 * Every time, duration and number the console shows — pure. Times are in the centre's time zone,
 * not the browser's: a wall display in another zone must still agree with the officers.
 */
export interface Formatter {
  /** 08:41:12 */
  time(at: number | string): string;
  /** 11-26 08:41 (2026-11-26 08:41 with year) */
  dateTime(at: number | string, withYear?: boolean): string;
  /** "3 minutes ago", "in 2 minutes" */
  ago(at: number | string, nowMs: number): string;
  /** 1 decimal, or an em dash for "no value" */
  number(n: number | null, digits?: number): string;
  /** 0.873 → 87% */
  percent(share: number | null): string;
}

export const NO_VALUE = '—';

const ms = (at: number | string): number => (typeof at === 'number' ? at : Date.parse(at));

export function makeFormatter(lang: string, timeZone: string): Formatter {
  const time = new Intl.DateTimeFormat(lang, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const parts = (withYear: boolean) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: withYear ? 'numeric' : undefined, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const short = parts(false);
  const long = parts(true);
  const rel = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  const num = new Map<number, Intl.NumberFormat>();
  const numberFmt = (digits: number) => {
    let f = num.get(digits);
    if (!f) num.set(digits, (f = new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: 0 })));
    return f;
  };
  return {
    time: (at) => time.format(ms(at)),
    dateTime(at, withYear = false) {
      const p = Object.fromEntries((withYear ? long : short).formatToParts(ms(at)).map((x) => [x.type, x.value]));
      return `${withYear ? `${p.year}-` : ''}${p.month}-${p.day} ${p.hour}:${p.minute}`;
    },
    ago(at, nowMs) {
      const s = Math.round((ms(at) - nowMs) / 1000);
      const a = Math.abs(s);
      if (a < 60) return rel.format(s, 'second');
      if (a < 3600) return rel.format(Math.trunc(s / 60), 'minute');
      if (a < 86_400) return rel.format(Math.trunc(s / 3600), 'hour');
      return rel.format(Math.trunc(s / 86_400), 'day');
    },
    number: (n, digits = 1) => (n === null || !Number.isFinite(n) ? NO_VALUE : numberFmt(digits).format(n)),
    percent: (share) => (share === null || !Number.isFinite(share) ? NO_VALUE : `${Math.round(share * 100)}%`),
  };
}

/** A countdown: 39:58, 1:02:03, and −02:13 once overdue. */
export function countdown(leftMs: number): string {
  const neg = leftMs < 0;
  const total = Math.floor(Math.abs(leftMs) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return `${neg ? '−' : ''}${h ? `${h}:${mmss}` : mmss}`;
}

/** 1234567 → 1.2 MB */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
