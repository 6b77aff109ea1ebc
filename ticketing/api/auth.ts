/**
 * Bearer-token sign-in against config.users, default deny: every route needs a valid token unless
 * it sets `config: { public: true }`; writes additionally check the role with `userOf`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CenterConfig, Role } from '../config.js';
import type { ApiUser } from './deps.js';
import { forbidden, unauthorized } from './errors.js';

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

/** Compares fixed-length digests of every token, no early exit, so timing tells nothing. */
export function tokenMatcher(cfg: Pick<CenterConfig, 'users' | 'teams'>): (token: string) => ApiUser | null {
  const users = cfg.users.map((u) => ({
    digest: digest(u.token),
    user: {
      name: u.name,
      role: u.role,
      ...(u.officerId ? { officerId: u.officerId } : {}),
      teams: u.officerId ? cfg.teams.filter((t) => t.officers.some((o) => o.id === u.officerId)).map((t) => t.id) : [],
    } satisfies ApiUser,
  }));
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

export function installAuth(app: FastifyInstance, cfg: Pick<CenterConfig, 'users' | 'teams'>): void {
  const match = tokenMatcher(cfg);
  app.decorateRequest('apiUser', null);
  app.addHook('onRequest', async (req) => {
    const token = bearer(req);
    req.apiUser = token ? match(token) : null;
    // Unknown routes answer 404 rather than 401; public ones ignore a bad token.
    if (req.apiUser || req.is404 || req.routeOptions.config.public) return;
    throw unauthorized(token === null ? 'sign in with Authorization: Bearer <token>' : 'unknown or malformed bearer token');
  });
}

/** The signed-in user, checked against `roles`. */
export function userOf(req: FastifyRequest, roles: readonly Role[], what: string): ApiUser {
  const user = req.apiUser;
  if (!user) throw unauthorized('sign in with Authorization: Bearer <token>');
  if (!roles.includes(user.role)) throw forbidden(`${what} needs role ${roles.join(' or ')} (you are ${user.role})`);
  return user;
}
