/** SLA and throughput KPIs, computed by the workflow side. */
import type { ApiApp, ApiContext } from './context.js';

export function kpiRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/kpis', {
    schema: {
      summary: 'SLA and throughput KPIs of every order',
      description: 'Answers `{ overall, byType, byTeam, byCamera }`, each a KPI group: order counts (open, closed, by state), discovery→dispatch, dispatch→accept and discovery→resolve durations (count, median, p90 seconds), SLA compliance, the self-cleared and rejected shares, and `verification`: verified closures and the reopen rate (camera orders the camera found still there after an officer resolved them).',
      tags: ['kpis'],
    },
  }, async () => ctx.deps.kpis());
}
