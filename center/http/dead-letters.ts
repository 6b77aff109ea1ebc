/** Messages the ingest refused (bad topic, schema, size), for operators to inspect. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from './context.js';
import { paging, parse } from './validate.js';

export function deadLetterRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/dead-letters', async (req) => {
    const { offset, limit } = parse(z.object(paging), req.query, 'query');
    const res = await ctx.deps.deadLetters.list({ offset, limit });
    return { items: res.items, total: res.total, offset, limit };
  });
}
