/**
 * Redis for the demo: the one at REDIS_URL (default the local 6379) if it answers, else a private
 * `redis-server` whose data lives under the demo's data directory and which stops with the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StreetWatchError } from '../common/errors.js';
import { redisAnswersAt } from '../common/redis.js';
import { freePort } from './ports.js';

export interface DemoRedis {
  url: string;
  /** Whether the demo started this server (and will stop it). */
  private: boolean;
  stop(): Promise<void>;
}

export async function demoRedis(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<DemoRedis> {
  const url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await redisAnswersAt(url)) return { url, private: false, stop: async () => undefined };

  const port = await freePort();
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  // AOF on: a demo restarted with the same data directory keeps its orders.
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore', env });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) {
    throw new StreetWatchError(
      'DEMO_NO_REDIS',
      `no Redis answers at ${url} and redis-server is not installed. Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), ` +
        'or start one (docker run -d -p 6379:6379 redis:7) and set REDIS_URL to it.',
    );
  }
  const privateUrl = `redis://127.0.0.1:${port}`;
  const stop = () => stopChild(child);
  for (let i = 0; i < 100 && !(await redisAnswersAt(privateUrl, 200)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await redisAnswersAt(privateUrl, 500))) {
    await stop();
    throw new StreetWatchError('DEMO_NO_REDIS', `the private redis-server on port ${port} did not start (data directory ${dir})`);
  }
  return { url: privateUrl, private: true, stop };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
