/**
 * One error shape for every API response, `{ error, code }` (plus `field` for validation), and the
 * mapping from domain errors to HTTP statuses. Stack traces never leave the process.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { StreetWatchError } from '../../common/errors.js';
import { IllegalTransitionError } from '../../ticketing/work-order.js';
import { drainRequest } from './drain-request.js';
import { formatOfUrl, open311Errors, XML_TYPE, xmlDocument } from './open311-format.js';

export class ApiError extends StreetWatchError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

export const badRequest = (message: string, field?: string): ApiError => new ApiError(400, 'VALIDATION', message, field);
export const notFound = (message: string): ApiError => new ApiError(404, 'NOT_FOUND', message);
export const forbidden = (message: string): ApiError => new ApiError(403, 'FORBIDDEN', message);
export const unauthorized = (message: string): ApiError => new ApiError(401, 'UNAUTHORIZED', message);

/**
 * Statuses for errors from the workflow layer, by code, since the store and actions are written
 * elsewhere: a refused or raced transition is a conflict, a missing order is a 404, a taken name
 * or a password change of an identity provider's user a conflict, a password the policy refuses a 400.
 */
export function statusOfDomainError(err: StreetWatchError): number | null {
  if (err instanceof IllegalTransitionError) return 409;
  if (/ILLEGAL_TRANSITION|STALE|CONFLICT/.test(err.code)) return 409;
  if (/NOT_FOUND|UNKNOWN_ORDER/.test(err.code)) return 404;
  if (/_EXISTS$/.test(err.code)) return 409;
  if (err.code === 'PASSWORD_POLICY') return 400;
  if (err.code === 'BAD_PHOTO') return 400;
  if (err.code === 'OIDC_USER') return 409;
  if (err.code === 'PASSWORD_WRONG') return 403;
  return null;
}

/** The name of the error shape among the OpenAPI document's schemas (openapi.ts). */
export const ERROR_SCHEMA_ID = 'Error';

const errorBody = z
  .object({ error: z.string(), code: z.string(), field: z.string().optional().meta({ description: 'The bad input, as a dotted path (`zones.0.polygon`), on validation errors' }) })
  .meta({ id: ERROR_SCHEMA_ID, description: 'Every error the API answers, 4xx and 5xx alike' });
type ErrorBody = z.output<typeof errorBody>;

/**
 * A route schema's refusal of the request, as the 400 that names the field: the first issue's
 * path (`zones.0.polygon`), or the request part (`body`, `query`, `params`) when it is the whole.
 */
function validationError(err: Pick<FastifyError, 'validationContext'> & { validation: FastifySchemaValidationError[] }): ApiError {
  const issue = err.validation[0];
  const part = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
  const field = issue.instancePath.split('/').filter(Boolean).join('.') || part;
  return badRequest(`${field}: ${issue.message ?? 'is invalid'}`, field);
}

function toResponse(err: unknown): { status: number; body: ErrorBody } | null {
  if (hasZodFastifySchemaValidationErrors(err)) return toResponse(validationError(err));
  if (err instanceof ApiError) return { status: err.status, body: { error: err.message, code: err.code, ...(err.field ? { field: err.field } : {}) } };
  if (err instanceof StreetWatchError) {
    const status = statusOfDomainError(err);
    return status ? { status, body: { error: err.message, code: err.code } } : null;
  }
  // Fastify's own 4xx (bad JSON, body too large, unsupported media type): its message is safe.
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error: fe.message ?? 'bad request', code: fe.code ?? 'BAD_REQUEST' } };
  }
  return null;
}

/** Answers `err` in the one shape; anything not known to be the client's fault is a logged 500. */
async function answerError(err: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  // Fastify closes the connection after a body it refused: read the rest first (see drain-request.ts).
  if (reply.getHeader('connection') === 'close') await drainRequest(request.raw);
  const mapped = toResponse(err);
  if (mapped) return sendError(request, reply, mapped.status, mapped.body);
  request.log.error({ err, route: request.routeOptions.url }, 'unhandled API error');
  return sendError(request, reply, 500, { error: 'internal error', code: 'INTERNAL' });
}

/** The one shape, except under /open311/, where the spec's list of `{ code, description }` (XML for `.xml`). */
function sendError(request: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  if (!request.url.startsWith('/open311/')) return reply.code(status).send(body);
  const list = open311Errors(status, body.error);
  return formatOfUrl(request.url) === 'xml' ? reply.code(status).type(XML_TYPE).send(xmlDocument('errors', list)) : reply.code(status).send(list);
}

/**
 * For Fastify's `frameworkErrors` option: a URL the router cannot take (bad percent-encoding, a
 * path parameter over its length limit) answered in the same shape as every other error.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void answerError(err, request, reply);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, { error: `no route ${request.method} ${request.url.split('?')[0]}`, code: 'NOT_FOUND' }));
}
