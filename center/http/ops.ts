/** Liveness for load balancers (public) and Prometheus metrics (any token). */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';
import type { HttpMetrics } from './http-metrics.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function opsRoutes(app: FastifyInstance, ctx: ApiContext, http: HttpMetrics): void {
  // `time` (ISO, ms) lets a box measure its clock offset (`edge doctor`): work-order deadlines count
  // from the box's discoveredAt, so a box clock that is off moves every SLA deadline with it.
  app.get('/healthz', { config: { public: true } }, async (req, reply) => {
    const time = () => new Date(ctx.now()).toISOString();
    try {
      const report = await ctx.deps.health();
      return reply.code(report.ok ? 200 : 503).send({ ...report, time: time() });
    } catch (err) {
      req.log.warn({ err }, 'health check failed');
      return reply.code(503).send({ ok: false, checks: {}, time: time() });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const theirs = ctx.deps.metrics().trimEnd();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(`${theirs ? `${theirs}\n` : ''}${http.render()}`);
  });
}
