/** Edge boxes: registry state plus their last status and telemetry. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function deviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/devices', async () => {
    const items = await ctx.deps.devices.list();
    return { items, total: items.length };
  });
}
