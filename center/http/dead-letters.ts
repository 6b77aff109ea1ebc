/** Messages the ingest refused (bad topic, schema, size), for operators to inspect. */
import { z } from 'zod';
import type { ApiApp, ApiContext } from './context.js';
import { paging } from './validate.js';

export function deadLetterRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/dead-letters', {
    schema: {
      summary: 'Messages the ingest refused, newest first',
      description: 'Answers `{ items, total, offset, limit }`, each item `{ id, at, topic, code, reason, clientId?, deviceId?, cameraId?, bytes, payloadBase64, truncated }`; `payloadBase64` holds the payload\'s first bytes, all of them unless `truncated`.',
      tags: ['ops'],
      querystring: z.object(paging),
    },
  }, async (req) => {
    const { offset, limit } = req.query;
    const res = await ctx.deps.deadLetters.list({ offset, limit });
    return { items: res.items, total: res.total, offset, limit };
  });
}
