/**
 * Sign-in against config.users, default deny: every route needs a valid bearer token or console
 * session cookie unless it sets `config: { public: true }`; writes additionally check the role
 * with `userOf`. Cookie-authenticated writes must carry CONSOLE_HEADER (CSRF: a cross-site form
 * cannot set it, and a cross-origin script cannot send it without a CORS preflight we never grant).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CenterConfig, Role } from '../config.js';
import type { ApiUser } from './deps.js';
import { ApiError, forbidden, unauthorized } from './errors.js';
import { readCookie, SESSION_COOKIE, sessionCodec } from './session.js';

/** Header the console sends on every write; required when the caller is signed in by cookie. */
export const CONSOLE_HEADER = 'x-streetwatch-console';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Null on public routes when no (or no valid) token came with the request. */
    apiUser: ApiUser | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a token (Open311, /healthz, signed media links). */
    public?: boolean;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The API's view of each configured user. */
export function apiUsers(cfg: Pick<CenterConfig, 'users' | 'teams'>): Map<string, ApiUser> {
  return new Map(cfg.users.map((u) => [u.name, {
    name: u.name,
    role: u.role,
    ...(u.officerId ? { officerId: u.officerId } : {}),
    teams: u.officerId ? cfg.teams.filter((t) => t.officers.some((o) => o.id === u.officerId)).map((t) => t.id) : [],
  } satisfies ApiUser]));
}

/** Compares fixed-length digests of every token, no early exit, so timing tells nothing. */
export function tokenMatcher(cfg: Pick<CenterConfig, 'users' | 'teams'>): (token: string) => ApiUser | null {
  const byName = apiUsers(cfg);
  const users = cfg.users.map((u) => ({ digest: digest(u.token), user: byName.get(u.name)! }));
  return (token) => {
    const d = digest(token);
    let found: ApiUser | null = null;
    for (const u of users) if (timingSafeEqual(d, u.digest) && !found) found = u.user;
    return found;
  };
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

export function installAuth(app: FastifyInstance, cfg: Pick<CenterConfig, 'users' | 'teams' | 'http'>, now: () => number): void {
  const match = tokenMatcher(cfg);
  const sessions = sessionCodec(cfg);
  const byName = apiUsers(cfg);
  app.decorateRequest('apiUser', null);
  app.addHook('onRequest', async (req) => {
    const token = bearer(req);
    if (token !== null) {
      req.apiUser = match(token);
    } else {
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      const name = cookie ? sessions.verify(cookie, now()) : null;
      req.apiUser = name ? (byName.get(name) ?? null) : null;
      if (req.apiUser && !SAFE_METHODS.has(req.method) && req.headers[CONSOLE_HEADER] !== '1') {
        throw new ApiError(403, 'CSRF', `a signed-in console write needs the ${CONSOLE_HEADER}: 1 header`);
      }
    }
    // Unknown routes answer 404 rather than 401; public ones ignore a bad token.
    if (req.apiUser || req.is404 || req.routeOptions.config.public) return;
    throw unauthorized(token === null ? 'sign in with Authorization: Bearer <token> (or a console session)' : 'unknown or malformed bearer token');
  });
}

/** The signed-in user. */
export function signedIn(req: FastifyRequest): ApiUser {
  if (!req.apiUser) throw unauthorized('sign in with Authorization: Bearer <token> (or a console session)');
  return req.apiUser;
}

/** The signed-in user, checked against `roles`. */
export function userOf(req: FastifyRequest, roles: readonly Role[], what: string): ApiUser {
  const user = signedIn(req);
  if (!roles.includes(user.role)) throw forbidden(`${what} needs role ${roles.join(' or ')} (you are ${user.role})`);
  return user;
}

/**
 * A preValidation hook checking the role, for routes whose role does not depend on the input: it
 * runs before the route's schemas do, so a caller who may not do `what` at all is told so (403),
 * not how to fix the request (400). The handler then takes the user from `signedIn`.
 */
export const requireRole = (roles: readonly Role[], what: string) => async (req: FastifyRequest): Promise<void> => {
  userOf(req, roles, what);
};
