/**
 * Sign-in, default deny: every route needs a valid bearer token or console session cookie unless
 * it sets `config: { public: true }`; writes additionally check the role with `userOf`.
 * Cookie-authenticated writes must carry CONSOLE_HEADER (CSRF: a cross-site form cannot set it,
 * and a cross-origin script cannot send it without a CORS preflight we never grant). The metrics
 * role reaches only routes marked `metrics`; a user still on a one-time password reaches only
 * those marked `passwordChange`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../config.js';
import type { UserServices } from '../users/services.js';
import type { ApiUser } from './deps.js';
import { ApiError, forbidden, unauthorized } from './errors.js';
import { readCookie, SESSION_COOKIE } from './session.js';
import type { UserDirectory } from './user-directory.js';

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
    /** Reachable by the metrics-only role. */
    metrics?: boolean;
    /** Reachable by a user who must change their one-time password first. */
    passwordChange?: boolean;
    /** Called by the MQTT broker with the shared secret, not by users (broker-auth.ts); public to user auth. */
    brokerAuth?: boolean;
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

/** The user of a console session cookie, or null (none, ended, or the account changed since). */
export async function sessionUser(req: FastifyRequest, users: UserServices, directory: UserDirectory): Promise<ApiUser | null> {
  const id = readCookie(req.headers.cookie, SESSION_COOKIE);
  const session = id ? await users.sessions.use(id) : null;
  if (!session) return null;
  const known = await directory.byName(session.name);
  return known && known.stamp === session.stamp ? known.user : null;
}

export function installAuth(app: FastifyInstance, users: UserServices, directory: UserDirectory): void {
  app.decorateRequest('apiUser', null);
  app.addHook('onRequest', async (req) => {
    // The broker's checks have their own secret (broker-auth.ts); whatever Authorization header a
    // broker plugin sends (mosquitto-auth-plug: Basic) is no user's, and is not looked up in Redis.
    if (req.routeOptions.config.brokerAuth) return;
    const token = bearer(req);
    if (token !== null) {
      req.apiUser = await directory.byToken(token);
    } else {
      req.apiUser = await sessionUser(req, users, directory);
      if (req.apiUser && !SAFE_METHODS.has(req.method) && req.headers[CONSOLE_HEADER] !== '1') {
        throw new ApiError(403, 'CSRF', `a signed-in console write needs the ${CONSOLE_HEADER}: 1 header`);
      }
    }
    const config = req.routeOptions.config;
    // Unknown routes answer 404 rather than 401; public ones ignore a bad token.
    if (req.is404 || config.public) return;
    if (!req.apiUser) throw unauthorized(token === null ? 'sign in with Authorization: Bearer <token> (or a console session)' : 'unknown or malformed bearer token');
    if (req.apiUser.role === 'metrics' && !config.metrics) throw forbidden('the metrics role may only read /metrics');
    if (req.apiUser.mustChangePassword && !config.passwordChange) {
      throw new ApiError(403, 'PASSWORD_CHANGE_REQUIRED', 'change your one-time password first (POST /api/me/password)');
    }
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
