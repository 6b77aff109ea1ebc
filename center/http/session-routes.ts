/**
 * Console sign-in: trade a user's API token for a session cookie (POST), ask who is signed in
 * (GET), sign out (DELETE). The token never reaches the page's script after sign-in; the cookie
 * is HttpOnly.
 */
import { z } from 'zod';
import { signedIn, tokenMatcher } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { apiUser } from './deps.js';
import { unauthorized } from './errors.js';
import { SESSION_COOKIE, SESSION_TTL_S, sessionCodec, sessionCookie } from './session.js';

const signInBody = z.object({
  token: z.string().min(1, 'is required').max(512),
  /** Optional: when given, the token must belong to this user (a typo in the name is not a sign-in). */
  name: z.string().trim().max(64).optional(),
});

const session = z.object({ user: apiUser });

export function sessionRoutes(app: ApiApp, ctx: ApiContext): void {
  const match = tokenMatcher(ctx.config);
  const sessions = sessionCodec(ctx.config);

  app.post('/api/session', {
    config: { public: true },
    schema: {
      summary: 'Sign in to the console',
      description: `Trades a user's token for the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, ${SESSION_TTL_S / 3600} h).`,
      tags: ['console'],
      body: signInBody,
      response: { 200: session },
    },
  }, async (req, reply) => {
    const { token, name } = req.body;
    const user = match(token);
    if (!user || (name && name !== user.name)) throw unauthorized('unknown name or token');
    const cfgUser = ctx.config.users.find((u) => u.name === user.name)!;
    reply.header('Set-Cookie', sessionCookie(sessions.issue(cfgUser, ctx.now()), SESSION_TTL_S, req.protocol === 'https'));
    return { user };
  });

  app.get('/api/session', { schema: { summary: 'Who is signed in', tags: ['console'], response: { 200: session } } }, async (req) => ({ user: signedIn(req) }));

  // Public so that an expired session can still be cleared.
  app.delete('/api/session', {
    config: { public: true },
    schema: { summary: 'Sign out', tags: ['console'], response: { 204: z.null().meta({ description: 'Signed out: the cookie is cleared' }) } },
  }, async (req, reply) => {
    reply.header('Set-Cookie', sessionCookie('', 0, req.protocol === 'https'));
    return reply.code(204).send(null);
  });
}
