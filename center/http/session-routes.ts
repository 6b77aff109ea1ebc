/**
 * Console sign-in: a stored user's name and password (or, for users of the config file, their API
 * token) for a session cookie (POST), who is signed in (GET), sign out (DELETE), how one may sign
 * in (the identity provider's button: oidc-routes.ts), and a user's own password change. The session id never reaches the page's script; the cookie is HttpOnly.
 * Failed sign-ins count towards the per-user and per-address lockouts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { apiUser } from './deps.js';
import { ApiError, unauthorized } from './errors.js';
import { OIDC_PATH, readCookie, SESSION_COOKIE, sessionCookie } from './session.js';
import type { KnownUser, UserDirectory } from './user-directory.js';

const signInBody = z
  .object({
    name: z.string().trim().max(64).optional().describe('Required with `password`; with `token`, the token must be this user\'s.'),
    password: z.string().min(1, 'is required').max(512).optional().describe('A stored account\'s password; a config user\'s token.'),
    token: z.string().min(1, 'is required').max(512).optional().describe('A config-file user\'s API token (compatibility).'),
  })
  .refine((b) => (b.password === undefined) !== (b.token === undefined), { message: 'give name and password (or a token)', path: ['password'] })
  .refine((b) => b.password === undefined || !!b.name, { message: 'is required with password', path: ['name'] });

const passwordBody = z.object({
  current: z.string().min(1, 'is required').max(256),
  next: z.string().min(1, 'is required').max(256),
});

const session = z.object({ user: apiUser });

const signInOptions = z.object({
  oidc: z
    .object({ name: z.string().meta({ description: 'What the button says: "Sign in with <name>"' }), url: z.string().meta({ description: 'Where the button goes' }) })
    .nullable()
    .meta({ description: 'Sign-in through the identity provider; null when it is not configured' }),
});

export function sessionRoutes(app: ApiApp, ctx: ApiContext, directory: UserDirectory): void {
  const { accounts, sessions, limiter } = ctx.deps.users;
  const maxAgeS = Math.floor(ctx.config.http.sessionMaxHours * 3600);

  const open = async (req: FastifyRequest, reply: FastifyReply, known: KnownUser) => {
    const id = await sessions.open({ name: known.user.name, stamp: known.stamp });
    reply.header('Set-Cookie', sessionCookie(id, maxAgeS, req.protocol === 'https'));
    return { user: known.user };
  };

  app.post('/api/session', {
    config: { public: true },
    schema: {
      summary: 'Sign in to the console',
      description: `Trades a name and password (or a config user's token) for the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict). `
        + 'Too many failures for one name or from one address answer 429 with Retry-After until the lockout ends or an admin clears it.',
      tags: ['console'],
      body: signInBody,
      response: { 200: session },
    },
  }, async (req, reply) => {
    const { name, password, token } = req.body;
    const retry = await limiter.retryAfterS(name ?? null, req.ip);
    if (retry > 0) {
      reply.header('Retry-After', String(retry));
      throw new ApiError(429, 'SIGN_IN_LOCKED', `too many failed sign-ins; try again in ${retry} s, or ask an admin to clear the lockout`);
    }
    let known: KnownUser | null = null;
    if (password !== undefined && directory.isConfigured(name!)) {
      // A config user types their token as the password.
      known = directory.matchConfigToken(password)?.name === name ? await directory.byName(name!) : null;
    } else if (password !== undefined) {
      const record = await accounts.verify(name!, password);
      known = record && directory.known(record);
    } else {
      const user = directory.matchConfigToken(token!);
      known = user && (!name || name === user.name) ? await directory.byName(user.name) : null;
    }
    if (!known) {
      await limiter.failed(name ?? null, req.ip);
      req.log.info({ user: name, ip: req.ip }, 'sign-in refused');
      throw unauthorized(password !== undefined ? 'unknown name or wrong password' : 'unknown name or token');
    }
    await limiter.succeeded(known.user.name);
    return open(req, reply, known);
  });

  app.get('/api/session/options', {
    config: { public: true },
    schema: { summary: 'How one may sign in', description: 'For the sign-in page: whether to offer the identity provider\'s button.', tags: ['console'], response: { 200: signInOptions } },
  }, async () => {
    const oidc = ctx.config.http.oidc;
    return { oidc: oidc ? { name: oidc.name, url: OIDC_PATH } : null };
  });

  app.get('/api/session', {
    config: { passwordChange: true, metrics: true },
    schema: { summary: 'Who is signed in', tags: ['console'], response: { 200: session } },
  }, async (req) => ({ user: signedIn(req) }));

  // Public so that an ended session can still be cleared.
  app.delete('/api/session', {
    config: { public: true },
    schema: { summary: 'Sign out', tags: ['console'], response: { 204: z.null().meta({ description: 'Signed out: the session ends and the cookie is cleared' }) } },
  }, async (req, reply) => {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) await sessions.close(id);
    reply.header('Set-Cookie', sessionCookie('', 0, req.protocol === 'https'));
    return reply.code(204).send(null);
  });

  app.post('/api/me/password', {
    config: { passwordChange: true, metrics: true },
    schema: {
      summary: 'Change my password',
      description: 'Needs the current password. Every other session of the user ends; a console caller gets a new session cookie.',
      tags: ['console'],
      body: passwordBody,
      response: { 200: session },
    },
  }, async (req, reply) => {
    const user = signedIn(req);
    if (directory.isConfigured(user.name)) throw new ApiError(409, 'CONFIG_USER', `${user.name} is a user of the config file: it has a token, not a password`);
    await accounts.changeOwn(user.name, req.body.current, req.body.next);
    const known = await directory.byName(user.name);
    if (!known) throw unauthorized('the account is gone');
    return readCookie(req.headers.cookie, SESSION_COOKIE) ? open(req, reply, known) : { user: known.user };
  });
}
