/**
 * /healthz of a running centre when its Redis freezes: a private redis-server, stopped with SIGSTOP
 * (the connection stays open, nothing answers), must turn the health check into a 503 with
 * `checks.redis: false` within seconds, answered rather than hung, and back to 200 once Redis runs
 * again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../common/redis.js';
import { captureLogger, testPrefix } from '../broker/test-support.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { centerConfigSchema } from '../center/config.js';
import { tempDir } from './fixtures.js';
import { freePort, waitFor } from './helpers/processes.js';

/** What a load balancer's probe allows itself; the answer must come well within it. */
const PROBE_TIMEOUT_MS = 3000;

interface Health {
  status: number;
  redis: boolean | undefined;
}

describe('/healthz while Redis is frozen', () => {
  let redisServer: ChildProcess;
  let center: RunningCenter;

  const health = async (): Promise<Health> => {
    const res = await fetch(`${center.httpUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { checks: { redis?: boolean } };
    return { status: res.status, redis: body.checks.redis };
  };

  beforeAll(async () => {
    const port = await freePort();
    redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
    const redisUrl = `redis://127.0.0.1:${port}`;
    await waitFor(() => connectRedis(redisUrl).then((r) => (r.disconnect(), true), () => false), `redis-server on port ${port}`);
    const config = centerConfigSchema.parse({
      redisUrl, redisPrefix: testPrefix(), dataDir: tempDir('sw-health-'),
      mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    });
    center = await startCenter({ config, roles: ['api'], logger: captureLogger().logger });
  });
  afterAll(async () => {
    redisServer?.kill('SIGCONT'); // a frozen Redis would hold up the centre's close
    await center?.close();
    if (redisServer && redisServer.exitCode === null) {
      const exited = new Promise((resolve) => redisServer.once('exit', resolve));
      redisServer.kill('SIGTERM');
      await exited;
    }
  });

  it('answers 503 with checks.redis false within seconds of the freeze, and 200 again once it thaws', async () => {
    expect(await health()).toEqual({ status: 200, redis: true });

    redisServer.kill('SIGSTOP');
    const frozenAt = Date.now();
    // Every probe must be answered (fetch aborts after PROBE_TIMEOUT_MS, failing the test).
    await waitFor(async () => (await health()).status === 503, 'a 503 from /healthz', 5000);
    expect(Date.now() - frozenAt).toBeLessThan(5000);
    expect(await health()).toEqual({ status: 503, redis: false });

    redisServer.kill('SIGCONT');
    await waitFor(async () => (await health()).status === 200, 'a 200 from /healthz after the thaw', 5000);
    expect(await health()).toEqual({ status: 200, redis: true });
  });
});
