/**
 * Evidence photos: with a token (`/api/evidence/:sha256`) or through a signed, expiring link
 * (`/media/:sha256?exp&sig`) that can be handed to people without accounts.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EVIDENCE_CONTENT_TYPE } from '../../contract/index.js';
import type { ApiApp, ApiContext } from './context.js';
import { ApiError, notFound } from './errors.js';
import { rawResponse } from './openapi.js';
import { sha256Param } from './validate.js';

const linkQuery = z.object({ exp: z.string().optional(), sig: z.string().optional() });
const photo = { 200: rawResponse(EVIDENCE_CONTENT_TYPE, 'The photo; 304 when If-None-Match holds its ETag (the hash)') };
const YEAR_S = 365 * 24 * 3600;

/** Content-addressed, so a photo never changes: the hash is the ETag and caches may keep it. */
export async function sendPhoto(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, sha256: string, maxAgeS: number): Promise<FastifyReply> {
  const file = ctx.deps.evidence.path(sha256);
  const size = file ? await stat(file).then((s) => (s.isFile() ? s.size : null), () => null) : null;
  if (!file || size === null) throw notFound(`no evidence ${sha256}`);
  const etag = `"${sha256}"`;
  reply
    .header('ETag', etag)
    .header('Cache-Control', `private, max-age=${maxAgeS}, immutable`)
    .header('X-Content-Type-Options', 'nosniff');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.type(EVIDENCE_CONTENT_TYPE).header('Content-Length', size).send(createReadStream(file));
}

export function evidenceRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/evidence/:sha256', {
    schema: { summary: 'An evidence photo', tags: ['evidence'], params: sha256Param, response: photo },
  }, async (req, reply) => sendPhoto(ctx, req, reply, req.params.sha256, YEAR_S));

  app.get('/media/:sha256', {
    config: { public: true },
    schema: {
      summary: 'An evidence photo through a signed, expiring link',
      description: 'The links come signed in API answers (Open311 `media_url`); 403 once expired or when the signature does not match.',
      tags: ['evidence'],
      params: sha256Param,
      querystring: linkQuery,
      response: photo,
    },
  }, async (req, reply) => {
    const { sha256 } = req.params;
    const { exp, sig } = req.query;
    const nowMs = ctx.now();
    const check = ctx.signer.verify(sha256, exp, sig, nowMs);
    if (check === 'expired') throw new ApiError(403, 'LINK_EXPIRED', 'this media link has expired');
    if (check !== 'ok') throw new ApiError(403, 'BAD_SIGNATURE', 'this media link is not validly signed');
    // Never cache past the link's own expiry.
    return sendPhoto(ctx, req, reply, sha256, Math.max(0, Number(exp) - Math.floor(nowMs / 1000)));
  });
}
