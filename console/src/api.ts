/**
 * Calls to the centre's HTTP API with the session cookie. Every call carries the console header
 * the API demands of cookie-authenticated writes (its CSRF guard); a 401 means the session is
 * gone, and the app returns to the sign-in form.
 */
import type { Page } from './api-types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => undefined;

export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: opts.method ?? 'GET',
    credentials: 'same-origin',
    headers: { 'x-streetwatch-console': '1', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { error?: string; code?: string };
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') onSignedOut();
    throw new ApiError(res.status, body.code ?? 'HTTP', body.error ?? res.statusText);
  }
  return body as T;
}

/** The largest page the API serves. */
const PAGE = 200;

/** Every item of a paged list: the first page says how many there are, the rest load in parallel. */
export async function allPages<T>(path: string): Promise<T[]> {
  const sep = path.includes('?') ? '&' : '?';
  const first = await api<Page<T>>(`${path}${sep}limit=${PAGE}`);
  const rest = [];
  for (let offset = PAGE; offset < first.total; offset += PAGE) rest.push(api<Page<T>>(`${path}${sep}limit=${PAGE}&offset=${offset}`));
  return [first, ...(await Promise.all(rest))].flatMap((p) => p.items);
}

export const evidenceUrl = (sha256: string): string => `/api/evidence/${sha256}`;
