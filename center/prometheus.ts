/** `/metrics`: this process's counters (broker, ingest, InfluxDB points, console streams) as Prometheus text. */
import type { BrokerStats } from '../broker/embedded-broker.js';
import type { IngestStats } from './ingest/ingest.js';
import type { MetricsWriterStats } from './metrics/points.js';

export function prometheusLines(s: { broker: BrokerStats | null; ingest: IngestStats | null; metrics: MetricsWriterStats; consoleStreams: number }): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, labels = '') => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
  gauge('streetwatch_console_streams', 'Open console live streams (/api/events) on this process', s.consoleStreams);
  if (s.broker) {
    const b = s.broker;
    gauge('streetwatch_broker_clients', 'Connected MQTT clients', b.clients);
    lines.push('# HELP streetwatch_broker_denied_total Refused CONNECT, PUBLISH and SUBSCRIBE', '# TYPE streetwatch_broker_denied_total counter');
    for (const [what, n] of Object.entries(b.denied)) lines.push(`streetwatch_broker_denied_total{what="${what}"} ${n}`);
  }
  if (s.ingest) {
    const i = s.ingest;
    lines.push('# HELP streetwatch_ingest_messages_total Messages by outcome', '# TYPE streetwatch_ingest_messages_total counter');
    for (const [outcome, n] of Object.entries({ received: i.received, valid: i.valid, ignored: i.ignored, jobs: i.jobs, duplicates: i.duplicates })) {
      lines.push(`streetwatch_ingest_messages_total{outcome="${outcome}"} ${n}`);
    }
    lines.push('# HELP streetwatch_dead_letters_total Dead-lettered messages by reason', '# TYPE streetwatch_dead_letters_total counter');
    for (const [code, n] of Object.entries(i.deadLettered)) lines.push(`streetwatch_dead_letters_total{code="${code}"} ${n}`);
  }
  const { buffered, ...totals } = s.metrics;
  gauge('streetwatch_metrics_points_buffered', 'InfluxDB points waiting to be written', buffered);
  lines.push('# HELP streetwatch_metrics_points_total InfluxDB points by outcome', '# TYPE streetwatch_metrics_points_total counter');
  for (const [outcome, n] of Object.entries(totals)) lines.push(`streetwatch_metrics_points_total{outcome="${outcome}"} ${n}`);
  return `${lines.join('\n')}\n`;
}
