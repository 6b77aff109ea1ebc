/**
 * HTTP request counters by method, route template and status. Labels use the route template
 * (`/api/orders/:id`), never the raw URL, so plates and ids neither leak nor explode cardinality.
 */
import type { FastifyInstance } from 'fastify';

const NAME = 'streetwatch_http_requests_total';
const DURATION = 'streetwatch_http_request_duration_seconds';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class HttpMetrics {
  private readonly counts = new Map<string, { labels: string; count: number; seconds: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = `method="${esc(method)}",route="${esc(route)}",status="${status}"`;
    const c = this.counts.get(labels) ?? { labels, count: 0, seconds: 0 };
    c.count += 1;
    c.seconds += seconds;
    this.counts.set(labels, c);
  }

  /** Prometheus text exposition, ending with a newline. */
  render(): string {
    const rows = [...this.counts.values()].sort((a, b) => a.labels.localeCompare(b.labels));
    return [
      `# HELP ${NAME} HTTP requests served by the centre API.`,
      `# TYPE ${NAME} counter`,
      ...rows.map((r) => `${NAME}{${r.labels}} ${r.count}`),
      `# HELP ${DURATION} Time spent serving HTTP requests.`,
      `# TYPE ${DURATION} summary`,
      ...rows.flatMap((r) => [`${DURATION}_sum{${r.labels}} ${r.seconds.toFixed(6)}`, `${DURATION}_count{${r.labels}} ${r.count}`]),
      '',
    ].join('\n');
  }

  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched');
      this.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }
}
