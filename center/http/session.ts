/**
 * Console sessions as HMAC-signed cookies: `<base64url payload>.<hex mac>`, payload
 * `{n: user name, e: expiry (unix s), t: tag of the user's token}`. Stateless, so any number of
 * API processes accept each other's sessions with no shared store. The tag ties a session to the
 * token it was opened with: rotating a user's token in the config ends their open sessions.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CenterConfig } from '../config.js';

export const SESSION_COOKIE = 'sw_session';
/** A shift and a bit: operators sign in once per shift, not more. */
export const SESSION_TTL_S = 12 * 3600;

type UserConfig = CenterConfig['users'][number];

interface Payload {
  n: string;
  e: number;
  t: string;
}

const tokenTag = (token: string): string => createHash('sha256').update(`session:${token}`, 'utf8').digest('hex').slice(0, 32);

export interface SessionCodec {
  /** The cookie value for `user`, valid SESSION_TTL_S from nowMs. */
  issue(user: UserConfig, nowMs: number): string;
  /** The user name of a valid, unexpired session whose token is still the user's; else null. */
  verify(value: string, nowMs: number): string | null;
}

/**
 * The key is derived from http.linkSecret (already a deployment secret every API process shares),
 * under its own label so a media-link signature can never pass as a session.
 */
export function sessionCodec(cfg: Pick<CenterConfig, 'http' | 'users'>): SessionCodec {
  const key = createHmac('sha256', cfg.http.linkSecret).update('streetwatch console session v1').digest();
  const mac = (body: string): Buffer => createHmac('sha256', key).update(body).digest();
  const tags = new Map(cfg.users.map((u) => [u.name, tokenTag(u.token)]));
  return {
    issue(user, nowMs) {
      const payload: Payload = { n: user.name, e: Math.floor(nowMs / 1000) + SESSION_TTL_S, t: tokenTag(user.token) };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${mac(body).toString('hex')}`;
    },
    verify(value, nowMs) {
      const m = /^([A-Za-z0-9_-]{1,512})\.([0-9a-f]{64})$/.exec(value);
      if (!m) return null;
      if (!timingSafeEqual(mac(m[1]), Buffer.from(m[2], 'hex'))) return null;
      let p: Partial<Payload>;
      try {
        p = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as Partial<Payload>;
      } catch {
        return null;
      }
      if (typeof p.n !== 'string' || typeof p.e !== 'number' || p.e * 1000 <= nowMs) return null;
      return tags.get(p.n) === p.t ? p.n : null;
    },
  };
}

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** HttpOnly, SameSite=Strict (never sent on cross-site requests); Secure when served over TLS. */
export function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}
