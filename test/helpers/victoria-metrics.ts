/**
 * A throwaway VictoriaMetrics for tests: its own port and temp storage, stopped and deleted by
 * `stop()`. It accepts the InfluxDB v2 write API at `/api/v2/write` (any org/bucket/token) and
 * stores each field as `<measurement>_<field>` with the tags as labels, e.g. `edge_camera_fps{device,camera}`.
 *
 * Freshly written samples only become searchable after an internal flush (seconds); `query()` and
 * `exportSeries()` force one first, and `waitFor()` polls until the data is there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';

export interface VmSample {
  metric: Record<string, string>;
  /** [unix seconds, value as string] as in the Prometheus API. */
  value: [number, string];
}

export interface VmSeries {
  metric: Record<string, string>;
  values: number[];
  /** Epoch ms. */
  timestamps: number[];
}

export interface VictoriaMetricsHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Instant PromQL/MetricsQL query (`/api/v1/query`). */
  query(promql: string): Promise<VmSample[]>;
  /** Raw samples of the series matching a selector (`/api/v1/export`), e.g. `{__name__=~"edge_.*"}`. */
  exportSeries(match: string): Promise<VmSeries[]>;
  /** Polls `fn` until it returns a truthy value (resolves with it) or `timeoutMs` passes (rejects). */
  waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export const victoriaMetricsAvailable = (): boolean => existsSync(VICTORIA_METRICS_BIN);

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** `port`: a fixed port (e.g. one a client was already pointed at); default a free one. */
export async function startVictoriaMetrics(opts: { port?: number; startTimeoutMs?: number } = {}): Promise<VictoriaMetricsHandle> {
  if (opts.port !== undefined) return startOnce(opts.port, opts.startTimeoutMs ?? 15_000);
  let lastError: Error | undefined;
  // The free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), opts.startTimeoutMs ?? 15_000);
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw lastError ?? new Error('victoria-metrics did not start');
}

async function startOnce(port: number, startTimeoutMs: number): Promise<VictoriaMetricsHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-vm-'));
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(
    VICTORIA_METRICS_BIN,
    [
      `-storageDataPath=${dataDir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-retentionPeriod=1d',
      '-search.latencyOffset=0s', // see samples right away, not 30 s later
      '-search.disableCache',
      '-loggerLevel=ERROR',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const stop = async (): Promise<void> => {
    await kill(proc, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await stop();
      throw new Error(`victoria-metrics exited (${proc.exitCode ?? proc.signalCode}): ${stderr.trim()}`);
    }
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`victoria-metrics not healthy within ${startTimeoutMs} ms: ${stderr.trim()}`);
    }
    await sleep(50);
  }

  const forceFlush = () => fetch(`${url}/internal/force_flush`).then(() => undefined);
  const get = async (path: string, params: Record<string, string>): Promise<string> => {
    await forceFlush();
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`victoria-metrics ${path}: ${res.status} ${text}`);
    return text;
  };

  return {
    url,
    port,
    async query(promql) {
      const body = JSON.parse(await get('/api/v1/query', { query: promql })) as { data: { result: VmSample[] } };
      return body.data.result;
    },
    async exportSeries(match) {
      const text = await get('/api/v1/export', { 'match[]': match, start: '0' });
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as VmSeries);
    },
    async waitFor(fn, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > until) throw new Error(`victoria-metrics: condition not met within ${timeoutMs} ms`);
        await sleep(200);
      }
    },
    stop,
  };
}

async function kill(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
