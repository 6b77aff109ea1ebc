/** SLA and throughput KPIs, computed by the workflow side. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function kpiRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/kpis', async () => ctx.deps.kpis());
}
