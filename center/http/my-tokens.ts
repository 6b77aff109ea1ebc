/**
 * A signed-in user's own API tokens, for scripts and integrations: created (shown once), listed,
 * revoked by the user. They stop working when the user is disabled. Users of the config file
 * have their token there and cannot create more.
 *
 *   GET    /api/me/tokens       my tokens, without the tokens themselves
 *   POST   /api/me/tokens       a new token, shown this once
 *   DELETE /api/me/tokens/:id   revoke one
 */
import { z } from 'zod';
import { MAX_TOKENS_PER_USER } from '../users/api-token-store.js';
import { signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, notFound } from './errors.js';
import type { UserDirectory } from './user-directory.js';

const TAGS = ['users'];
const tokenInfo = z.object({ id: z.string(), label: z.string(), createdAt: z.string() }).meta({ id: 'ApiTokenInfo' });

export function myTokenRoutes(app: ApiApp, ctx: ApiContext, directory: UserDirectory): void {
  const { tokens } = ctx.deps.users;
  const owner = (req: Parameters<typeof signedIn>[0]): string => {
    const { name } = signedIn(req);
    if (directory.isConfigured(name)) throw new ApiError(409, 'CONFIG_USER', `${name} is a user of the config file: its token is set there`);
    return name;
  };

  // A metrics user (a scraper's account) needs a token of its own too.
  const config = { metrics: true };

  app.get('/api/me/tokens', {
    config,
    schema: { summary: 'My API tokens', description: 'Oldest first; the tokens themselves are never shown again.', tags: TAGS, response: { 200: z.object({ items: z.array(tokenInfo) }) } },
  }, async (req) => ({ items: await tokens.list(owner(req)) }));

  app.post('/api/me/tokens', {
    config,
    schema: {
      summary: 'Create an API token',
      description: `Answers the token this once (\`Authorization: Bearer <token>\`); only its SHA-256 is kept. At most ${MAX_TOKENS_PER_USER} per user.`,
      tags: TAGS,
      body: z.object({ label: z.string().trim().min(1, 'is required').max(100).describe('What it is for, e.g. "night report script".') }),
      response: { 201: tokenInfo.extend({ token: z.string().meta({ description: 'Shown this once' }) }) },
    },
  }, async (req, reply) => {
    const created = await tokens.create(owner(req), req.body.label, ctx.now());
    if (!created) throw new ApiError(409, 'TOO_MANY_TOKENS', `a user may have at most ${MAX_TOKENS_PER_USER} tokens: revoke one first`);
    return reply.code(201).send(created);
  });

  app.delete('/api/me/tokens/:id', {
    config,
    schema: { summary: 'Revoke one of my API tokens', description: 'It stops working at once. 404 when it is not yours.', tags: TAGS, params: z.object({ id: z.string().min(1).max(64) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    if (!(await tokens.revoke(owner(req), req.params.id, ctx.now()))) throw notFound(`you have no token ${req.params.id}`);
    return reply.code(204).send(null);
  });
}
