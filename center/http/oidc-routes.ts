/**
 * Sign-in through the city's identity provider (OpenID Connect, when `http.oidc` is set):
 *
 *   GET /api/session/oidc            sends the browser to the provider
 *   GET /api/session/oidc/callback   the provider sends it back: the account is made or brought
 *                                    up to date from the claims, and the session cookie set
 *
 * Both answer the browser with a redirect, never an error page: a refusal goes back to the
 * console's sign-in form with `?signInError=<code>`, which it shows in words. The reason, without
 * the code or tokens, goes to the log, and to the audit when the provider named the user.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CenterConfig, OidcConfig } from '../config.js';
import { OidcClient } from '../users/oidc-client.js';
import { OIDC_FLOW_TTL_S } from '../users/oidc-flows.js';
import { oidcProfile, OidcRefusal } from '../users/oidc-profile.js';
import type { ApiApp, ApiContext } from './context.js';
import { OIDC_FLOW_COOKIE, OIDC_PATH, oidcFlowCookie, readCookie, sessionCookie } from './session.js';
import type { UserDirectory } from './user-directory.js';

export const OIDC_CALLBACK_PATH = `${OIDC_PATH}/callback`;
/** The console's page; the sign-in form reads this query parameter. */
const CONSOLE = '/';
export const SIGN_IN_ERROR_PARAM = 'signInError';

/** The redirect URI: configured, else the callback under http.publicUrl (the config insists on one). */
export function oidcRedirectUrl(http: Pick<CenterConfig['http'], 'publicUrl'>, oidc: Pick<OidcConfig, 'redirectUrl'>): string {
  return oidc.redirectUrl ?? new URL(OIDC_CALLBACK_PATH, http.publicUrl).href;
}

const redirects = { 302: z.null().meta({ description: 'To the provider, or back to the console (with `?signInError=<code>` when refused)' }) };

export function oidcRoutes(app: ApiApp, ctx: ApiContext, directory: UserDirectory, oidc: OidcConfig): void {
  const client = new OidcClient(oidc, oidcRedirectUrl(ctx.config.http, oidc));
  const { accounts, sessions, oidcFlows } = ctx.deps.users;
  const maxAgeS = Math.floor(ctx.config.http.sessionMaxHours * 3600);
  const secure = (req: FastifyRequest) => req.protocol === 'https';

  const refuse = async (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (err instanceof OidcRefusal) {
      req.log.warn({ reason: err.code, user: err.user, detail: err.message }, 'identity provider sign-in refused');
      if (err.user) await accounts.auditOidcRefusal(err.user, err.code, err.message).catch((e: unknown) => req.log.error({ err: e }, 'cannot audit a refused sign-in'));
    } else {
      req.log.error({ err }, 'identity provider sign-in failed');
    }
    return reply.redirect(`${CONSOLE}?${SIGN_IN_ERROR_PARAM}=${err instanceof OidcRefusal ? err.code : 'failed'}`);
  };

  app.get(OIDC_PATH, {
    config: { public: true },
    schema: { summary: `Sign in with ${oidc.name}`, description: 'Sends the browser to the identity provider, keeping the sign-in\'s state, nonce and PKCE verifier for the callback (10 minutes).', tags: ['console'], response: redirects },
  }, async (req, reply) => {
    try {
      const { flow, url } = await client.begin();
      reply.header('Set-Cookie', oidcFlowCookie(await oidcFlows.begin(flow), OIDC_FLOW_TTL_S, secure(req)));
      return reply.redirect(url);
    } catch (err) {
      return refuse(req, reply, err);
    }
  });

  app.get(OIDC_CALLBACK_PATH, {
    config: { public: true },
    schema: {
      summary: 'Where the identity provider sends the browser back',
      description: 'Checks state, nonce, PKCE and the ID token; maps the user\'s groups to a role (the highest wins); creates or updates the account; sets the session cookie and sends the browser to the console.',
      tags: ['console'],
      response: redirects,
    },
  }, async (req, reply) => {
    const flowId = readCookie(req.headers.cookie, OIDC_FLOW_COOKIE);
    const cookies = [oidcFlowCookie('', 0, secure(req))];
    reply.header('Set-Cookie', cookies);
    try {
      const flow = flowId ? await oidcFlows.take(flowId) : null;
      const query = new URL(req.url, 'http://callback').searchParams;
      if (!flow) throw new OidcRefusal('state', 'no sign-in under way in this browser: it expired, was used already, or was not begun here');
      if (query.get('state') !== flow.state) throw new OidcRefusal('state', 'the state sent back is not the one this browser was given');
      const profile = oidcProfile(await client.finish(query, flow), oidc, ctx.config.teams);
      if (directory.isConfigured(profile.name)) throw new OidcRefusal('password_account', `${profile.name} is a user of the config file`, profile.name);
      const known = directory.known(await accounts.signInOidc(profile));
      cookies.push(sessionCookie(await sessions.open({ name: known.user.name, stamp: known.stamp }), maxAgeS, secure(req)));
      reply.header('Set-Cookie', cookies);
      req.log.info({ user: known.user.name, role: known.user.role }, 'signed in through the identity provider');
      return reply.redirect(CONSOLE);
    } catch (err) {
      return refuse(req, reply, err);
    }
  });
}
