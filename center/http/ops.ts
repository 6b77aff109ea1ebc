/** Liveness for load balancers (public) and Prometheus metrics (the metrics role and admins). */
import { z } from 'zod';
import type { Role } from '../config.js';
import { requireRole } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import { healthReport } from './deps.js';
import type { HttpMetrics } from './http-metrics.js';
import { rawResponse } from './openapi.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A scraper gets an account of its own (role metrics): one tied to a person's operator token
 * would stop when they leave, and operators' work never needs the process internals.
 */
const METRICS_READERS: readonly Role[] = ['metrics', 'admin'];

// Any instant, not the contract's isoTime: a clock wrong by decades is what `time` is there to show.
const health = healthReport.extend({ time: z.iso.datetime() });

export function opsRoutes(app: ApiApp, ctx: ApiContext, http: HttpMetrics): void {
  // `time` (ISO, ms) lets a box measure its clock offset (`edge doctor`): work-order deadlines count
  // from the box's discoveredAt, so a box clock that is off moves every SLA deadline with it.
  app.get('/healthz', {
    // Not rate limited: probers ask often, and a refused probe would make the centre look down.
    config: { public: true, rateLimit: false },
    schema: { summary: 'Liveness, with the centre\'s clock', description: '503 when a dependency does not answer.', tags: ['ops'], response: { 200: health, 503: health } },
  }, async (req, reply) => {
    const time = () => new Date(ctx.now()).toISOString();
    try {
      const report = await ctx.deps.health();
      return reply.code(report.ok ? 200 : 503).send({ ...report, time: time() });
    } catch (err) {
      req.log.warn({ err }, 'health check failed');
      return reply.code(503).send({ ok: false, checks: {}, time: time() });
    }
  });

  app.get('/metrics', {
    config: { metrics: true },
    preValidation: requireRole(METRICS_READERS, 'reading /metrics'),
    schema: { summary: 'Prometheus metrics', description: 'The metrics role and admins.', tags: ['ops'], response: { 200: rawResponse(PROMETHEUS_CONTENT_TYPE, 'Prometheus text exposition') } },
  }, async (_req, reply) => {
    const theirs = ctx.deps.metrics().trimEnd();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(`${theirs ? `${theirs}\n` : ''}${http.render()}`);
  });
}
