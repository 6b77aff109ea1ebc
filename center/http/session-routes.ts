/**
 * Console sign-in: trade a user's API token for a session cookie (POST), ask who is signed in
 * (GET), sign out (DELETE). The token never reaches the page's script after sign-in; the cookie
 * is HttpOnly.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tokenMatcher } from './auth.js';
import type { ApiContext } from './context.js';
import { unauthorized } from './errors.js';
import { SESSION_TTL_S, sessionCodec, sessionCookie } from './session.js';
import { parse } from './validate.js';

const signInBody = z.object({
  token: z.string().min(1, 'is required').max(512),
  /** Optional: when given, the token must belong to this user (a typo in the name is not a sign-in). */
  name: z.string().trim().max(64).optional(),
});

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const match = tokenMatcher(ctx.config);
  const sessions = sessionCodec(ctx.config);

  app.post('/api/session', { config: { public: true } }, async (req, reply) => {
    const { token, name } = parse(signInBody, req.body);
    const user = match(token);
    if (!user || (name && name !== user.name)) throw unauthorized('unknown name or token');
    const cfgUser = ctx.config.users.find((u) => u.name === user.name)!;
    reply.header('Set-Cookie', sessionCookie(sessions.issue(cfgUser, ctx.now()), SESSION_TTL_S, req.protocol === 'https'));
    return { user };
  });

  app.get('/api/session', async (req) => ({ user: req.apiUser }));

  // Public so that an expired session can still be cleared.
  app.delete('/api/session', { config: { public: true } }, async (req, reply) => {
    reply.header('Set-Cookie', sessionCookie('', 0, req.protocol === 'https'));
    return reply.code(204).send();
  });
}
