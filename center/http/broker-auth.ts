/**
 * The checks an external broker calls on each CONNECT, publish and subscribe (and, under Mosquitto,
 * each message delivered): EMQX 5's HTTP authentication and HTTP authorization, and the HTTP
 * backend of mosquitto-go-auth (JSON or form parameters; `status` or `json` response mode), whose
 * form fields the older mosquitto-auth-plug sends too. broker/external-auth.ts decides.
 *
 * The broker calls these, not a user: they skip user sign-in and need the shared secret instead
 * (go-auth cannot send headers, hence the query parameter too). A failure never allows: EMQX gets
 * `deny` with a 200, because any other status reads as `ignore`, which an EMQX left at
 * `no_match = allow` lets through; Mosquitto's plugins get a 503, which they count as a refusal.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EMQX_ACCESS, MOSQUITTO_ACCESS, type Verdict } from '../../broker/external-auth.js';
import { withTimeout } from '../../common/timeout.js';
import type { ApiApp } from './context.js';
import type { ApiDeps } from './deps.js';
import { ApiError, unauthorized } from './errors.js';
import { parseForm } from './validate.js';

export const BROKER_SECRET_HEADER = 'x-streetwatch-broker-secret';
export const BROKER_SECRET_QUERY = 'secret';

/** Inside the brokers' own request timeouts (5 s by default in EMQX and go-auth): Redis stuck is a refusal, not a hang. */
const ANSWER_WITHIN_MS = 3000;

/** What a broker fills in: absent fields (a client without a password) are empty. MQTT topics are at most 65535 bytes. */
const field = z.string().max(65_535).default('');

const emqxAuthnBody = z.object({ username: field, password: field, clientid: field });
const emqxAuthzBody = z.object({
  username: field,
  clientid: field,
  topic: field,
  action: field.describe('`publish` or `subscribe`; anything else is denied'),
  // Templated placeholders arrive as strings ("1", "false"); not used in the decision.
  qos: z.union([z.string(), z.number()]).optional(),
  retain: z.union([z.string(), z.boolean()]).optional(),
});
const emqxAuthnAnswer = z.object({ result: z.enum(['allow', 'deny', 'ignore']), is_superuser: z.literal(false) });
/** A failed check (no verdict) denies; an account not ours is for the next authenticator. */
const EMQX_AUTHN_RESULT = { allow: 'allow', deny: 'deny', unknown: 'ignore' } as const;
const emqxAuthzAnswer = z.object({ result: z.enum(['allow', 'deny']) });

const mosquittoUserBody = z.object({ username: field, password: field, clientid: field });
const mosquittoSuperuserBody = z.object({ username: field });
const mosquittoAclBody = z.object({
  username: field,
  clientid: field,
  topic: field,
  acc: z.coerce.number().int().describe('1 read (a message delivered), 2 write, 3 read and write, 4 subscribe, 8 unsubscribe'),
});
/** Read by go-auth's `json` response mode; its `status` mode reads only the status (200 allow, 403 deny). */
const mosquittoAnswer = z.object({ Ok: z.boolean(), Error: z.string() });

const digest = (s: string) => createHash('sha256').update(s).digest();

function requireSecret(secret: string) {
  const expected = digest(secret);
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers[BROKER_SECRET_HEADER];
    const given = typeof header === 'string' ? header : (req.query as Record<string, unknown>)[BROKER_SECRET_QUERY];
    if (typeof given !== 'string' || given === '') {
      throw unauthorized(`the broker must send the shared secret (mqtt.httpAuth.secret) as the ${BROKER_SECRET_HEADER} header or the ${BROKER_SECRET_QUERY} query parameter`);
    }
    if (!timingSafeEqual(digest(given), expected)) throw new ApiError(403, 'FORBIDDEN', 'wrong broker secret (mqtt.httpAuth.secret)');
  };
}

/** The verdict, logged when it refuses; null when the check failed (Redis away or too slow), logged as an error. */
async function decide(req: FastifyRequest, about: Record<string, unknown>, check: () => Promise<Verdict>): Promise<Verdict | null> {
  try {
    const verdict = await withTimeout(check(), ANSWER_WITHIN_MS, 'broker auth check');
    if (verdict.result === 'allow') req.log.debug({ ...about, route: req.routeOptions.url }, 'broker check allowed');
    else req.log.warn({ ...about, route: req.routeOptions.url, result: verdict.result, reason: verdict.reason }, 'broker check refused');
    return verdict;
  } catch (err) {
    req.log.error({ ...about, route: req.routeOptions.url, err: (err as Error).message }, 'broker check failed; refusing');
    return null;
  }
}

const UNAVAILABLE = { Ok: false, Error: 'the centre cannot check this now' };
function mosquittoAnswerOf(verdict: Verdict | null): { status: 200 | 403 | 503; body: z.output<typeof mosquittoAnswer> } {
  if (verdict === null) return { status: 503, body: UNAVAILABLE };
  return verdict.result === 'allow' ? { status: 200, body: { Ok: true, Error: '' } } : { status: 403, body: { Ok: false, Error: verdict.reason ?? 'refused' } };
}

export function brokerAuthRoutes(app: ApiApp, deps: NonNullable<ApiDeps['brokerAuth']>): void {
  const { auth } = deps;
  // Not rate limited (rate-limit.ts): the broker asks from one address for every device's connect,
  // publish and subscribe, and the shared secret already keeps others out.
  const config = { public: true, brokerAuth: true, rateLimit: false } as const;
  const onRequest = requireSecret(deps.secret);
  const tags = ['broker'];
  // A wrong secret is a 403 too, in the API's error shape (errors.ts).
  const mosquittoResponse = { 200: mosquittoAnswer, 403: z.union([mosquittoAnswer, z.object({ error: z.string(), code: z.string() })]), 503: mosquittoAnswer };

  // Its own scope: only these routes take form bodies (go-auth's `form` params mode, mosquitto-auth-plug).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
    const api = scope.withTypeProvider<ZodTypeProvider>();

    api.post('/broker-auth/emqx/authn', {
      config,
      onRequest,
      schema: {
        summary: 'EMQX 5 HTTP authentication',
        description: 'A device or the centre logging in. `ignore` when the username is no account of ours (the next authenticator decides); never a superuser, so the ACL applies to every client.',
        tags,
        body: emqxAuthnBody,
        response: { 200: emqxAuthnAnswer },
      },
    }, async (req) => {
      const { username, password, clientid } = req.body;
      const verdict = await decide(req, { username, clientId: clientid }, () => auth.login(username, password, clientid));
      return { result: EMQX_AUTHN_RESULT[verdict?.result ?? 'deny'], is_superuser: false as const };
    });

    api.post('/broker-auth/emqx/authz', {
      config,
      onRequest,
      schema: {
        summary: 'EMQX 5 HTTP authorization',
        description: 'A publish or subscribe, checked against the ACL of the embedded broker. Accounts that are not ours are denied: put sources for other accounts before this one.',
        tags,
        body: emqxAuthzBody,
        response: { 200: emqxAuthzAnswer },
      },
    }, async (req) => {
      const { username, clientid, topic, action } = req.body;
      const accesses = Object.hasOwn(EMQX_ACCESS, action) ? EMQX_ACCESS[action] : null;
      const verdict = accesses
        ? await decide(req, { username, clientId: clientid, topic: topic.slice(0, 200), action }, () => auth.access(username, accesses, topic))
        : { result: 'deny' as const };
      return { result: verdict?.result === 'allow' ? ('allow' as const) : ('deny' as const) };
    });

    api.post('/broker-auth/mosquitto/user', {
      config,
      onRequest,
      schema: { summary: 'Mosquitto (go-auth HTTP backend): login', tags, body: mosquittoUserBody, response: mosquittoResponse },
    }, async (req, reply) => {
      const { username, password, clientid } = req.body;
      const answer = mosquittoAnswerOf(await decide(req, { username, clientId: clientid }, () => auth.login(username, password, clientid)));
      return reply.code(answer.status).send(answer.body);
    });

    api.post('/broker-auth/mosquitto/superuser', {
      config,
      onRequest,
      schema: {
        summary: 'Mosquitto (go-auth HTTP backend): superuser',
        description: 'Always 403: no account skips the ACL, the centre\'s included.',
        tags,
        body: mosquittoSuperuserBody,
        response: mosquittoResponse,
      },
    }, async (_req, reply) => reply.code(403).send({ Ok: false, Error: 'no account is a superuser' }));

    api.post('/broker-auth/mosquitto/acl', {
      config,
      onRequest,
      schema: { summary: 'Mosquitto (go-auth HTTP backend): ACL check', tags, body: mosquittoAclBody, response: mosquittoResponse },
    }, async (req, reply) => {
      const { username, clientid, topic, acc } = req.body;
      const accesses = Object.hasOwn(MOSQUITTO_ACCESS, acc) ? MOSQUITTO_ACCESS[acc] : null;
      const verdict = accesses
        ? await decide(req, { username, clientId: clientid, topic: topic.slice(0, 200), acc }, () => auth.access(username, accesses, topic))
        : { result: 'deny' as const, reason: `unknown access value ${acc}` };
      const answer = mosquittoAnswerOf(verdict);
      return reply.code(answer.status).send(answer.body);
    });
  });
}
