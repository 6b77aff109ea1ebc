/**
 * User accounts kept by the centre, administered by admins, and the centre's audit log.
 *
 *   GET    /api/users                 the accounts, with any sign-in lockout (admin)
 *   POST   /api/users                 create one; answers its one-time password, shown once (admin)
 *   POST   /api/users/:name/disable   sign-in refused, signed out everywhere (admin)
 *   POST   /api/users/:name/enable    (admin)
 *   POST   /api/users/:name/reset     a new one-time password, shown once; signed out everywhere (admin)
 *   DELETE /api/users/:name/lockout   end a sign-in lockout early (admin; supervisor, of a non-admin)
 *   DELETE /api/sign-in-lockouts/:address   the same for a client address (admin)
 *   GET    /api/audit                 who changed what, newest first (admin, supervisor)
 */
import { z } from 'zod';
import { auditLineSchema } from '../audit/audit-log.js';
import type { Role } from '../config.js';
import { newUserSchema, userInfoSchema, type NewUser } from '../users/user.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, badRequest, forbidden } from './errors.js';
import type { UserDirectory } from './user-directory.js';
import { paging } from './validate.js';

const ADMINS: readonly Role[] = ['admin'];
/** A shift supervisor lets a locked-out colleague back in and reads who changed what. */
const SUPERVISORS: readonly Role[] = ['admin', 'supervisor'];
const TAGS = ['users'];

const nameParam = z.object({ name: z.string().min(1).max(64) });
const account = userInfoSchema.extend({ lockedUntil: z.string().nullable().meta({ description: 'When a sign-in lockout ends; null when there is none' }) });
const oneTime = z.string().meta({ description: 'Shown this once: the user signs in with it and must change it first' });

export function userRoutes(app: ApiApp, ctx: ApiContext, directory: UserDirectory): void {
  const { accounts, limiter } = ctx.deps.users;
  const withLockout = async (name: string) => ({ ...(await accounts.info(name)), lockedUntil: await limiter.lockedUntil(name, ctx.now()) });

  /** Names of the config file stay theirs; a team and an officer id must exist in the config. */
  function checkAgainstConfig(u: NewUser): void {
    if (directory.isConfigured(u.name)) throw new ApiError(409, 'USER_EXISTS', `${u.name} is a user of the config file`);
    if (u.team && !ctx.config.teams.some((t) => t.id === u.team)) throw badRequest(`team: no team ${u.team}`, 'team');
    if (u.officerId && !ctx.config.teams.some((t) => t.officers.some((o) => o.id === u.officerId))) {
      throw badRequest(`officerId: no officer ${u.officerId} in any team's officers`, 'officerId');
    }
  }

  app.get('/api/users', {
    preValidation: requireRole(ADMINS, 'listing users'),
    schema: { summary: 'The user accounts', description: 'Admins. Accounts kept by the centre (not the users of the config file), sorted by name.', tags: TAGS, response: { 200: z.object({ items: z.array(account) }) } },
  }, async () => {
    const users = await accounts.store.list();
    return { items: await Promise.all(users.map(async (u) => ({ ...u, lockedUntil: await limiter.lockedUntil(u.name, ctx.now()) }))) };
  });

  app.post('/api/users', {
    preValidation: requireRole(ADMINS, 'creating users'),
    schema: { summary: 'Create a user', description: 'Admins. 409 when the name is taken.', tags: TAGS, body: newUserSchema, response: { 201: z.object({ user: userInfoSchema, oneTimePassword: oneTime }) } },
  }, async (req, reply) => {
    checkAgainstConfig(req.body);
    const created = await accounts.create(req.body, signedIn(req).name);
    return reply.code(201).send({ user: created.user, oneTimePassword: created.oneTimePassword! });
  });

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/api/users/:name/${action}`, {
      preValidation: requireRole(ADMINS, `${action === 'disable' ? 'disabling' : 'enabling'} users`),
      schema: {
        summary: `${action === 'disable' ? 'Disable' : 'Enable'} a user`,
        description: disabled ? 'Admins. Sign-in is refused and every session and API token of the user stops at once. An admin cannot disable themselves.' : 'Admins.',
        tags: TAGS, params: nameParam, response: { 200: account },
      },
    }, async (req) => {
      const by = signedIn(req).name;
      if (disabled && by === req.params.name) throw new ApiError(409, 'USER_SELF', 'you cannot disable yourself');
      await accounts.setDisabled(req.params.name, disabled, by);
      return withLockout(req.params.name);
    });
  }

  app.post('/api/users/:name/reset', {
    preValidation: requireRole(ADMINS, 'resetting passwords'),
    schema: { summary: "Reset a user's password", description: 'Admins. A one-time password replaces the old one; the user is signed out everywhere and must change it at the next sign-in.', tags: TAGS, params: nameParam, response: { 200: z.object({ oneTimePassword: oneTime }) } },
  }, async (req) => ({ oneTimePassword: await accounts.reset(req.params.name, signedIn(req).name) }));

  /** The role of a config or stored user, or null for a name nobody has. */
  const roleOf = async (name: string): Promise<Role | null> =>
    ctx.config.users.find((u) => u.name === name)?.role ?? (await accounts.store.get(name))?.role ?? null;

  app.delete('/api/users/:name/lockout', {
    preValidation: requireRole(SUPERVISORS, 'clearing sign-in lockouts'),
    schema: { summary: "Clear a user's sign-in lockout", description: 'Admins, and supervisors for users other than admins. The failures counted so far are forgotten too.', tags: TAGS, params: nameParam, response: { 200: z.object({ cleared: z.boolean().meta({ description: 'False when there was no lockout' }) }) } },
  }, async (req) => {
    const by = signedIn(req);
    if (by.role !== 'admin' && (await roleOf(req.params.name)) === 'admin') throw forbidden("clearing an admin's sign-in lockout needs role admin");
    return { cleared: await limiter.clear('user', req.params.name, by.name, ctx.now()) };
  });

  app.delete('/api/sign-in-lockouts/:address', {
    preValidation: requireRole(ADMINS, 'clearing sign-in lockouts'),
    schema: { summary: 'Clear an address\'s sign-in lockout', description: 'Admins. For a shared address (a control room behind one NAT) locked out by others\' failures.', tags: TAGS, params: z.object({ address: z.string().min(1).max(64) }), response: { 200: z.object({ cleared: z.boolean() }) } },
  }, async (req) => ({ cleared: await limiter.clear('address', req.params.address, signedIn(req).name, ctx.now()) }));

  app.get('/api/audit', {
    preValidation: requireRole(SUPERVISORS, 'reading the audit log'),
    schema: { summary: 'The audit log, newest first', description: 'Admins and supervisors. Changes to users, API tokens, sign-in lockouts, devices, zones, settings, models and exempt plates, each naming who made it.', tags: TAGS, querystring: z.object({ limit: paging.limit }), response: { 200: z.object({ items: z.array(auditLineSchema) }) } },
  }, async (req) => ({ items: await ctx.deps.users.audit(req.query.limit) }));
}
