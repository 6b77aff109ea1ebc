/**
 * Doctor: the box's clock against the centre's. One GET of the centre's public `/healthz`, which
 * reports its time; the centre's clock is taken to be read halfway through the round trip.
 */
import { classifyClockOffset, type CheckResult } from './verdicts.js';

export async function checkClock(centerUrl: string | undefined, timeoutMs = 5000): Promise<CheckResult> {
  const check = 'clock';
  if (!centerUrl) return { check, status: 'warn', detail: 'not checked: the config has no center.url (edge init writes it from the bundle)' };
  const url = new URL('healthz', centerUrl.endsWith('/') ? centerUrl : `${centerUrl}/`);
  let body: { time?: unknown };
  const t0 = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    body = (await res.json()) as { time?: unknown };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { check, status: 'warn', detail: `not checked: no answer from ${url} (${cause ?? (err as Error).message})` };
  }
  const t1 = Date.now();
  const centerMs = typeof body.time === 'string' ? Date.parse(body.time) : NaN;
  if (Number.isNaN(centerMs)) return { check, status: 'warn', detail: `not checked: ${url} reports no time (a centre older than this box?)` };
  const verdict = classifyClockOffset(centerMs - (t0 + t1) / 2, (t1 - t0) / 2);
  return { check, ...verdict };
}
