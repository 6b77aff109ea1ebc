/**
 * A redis-server of the test's own on a free port, which the test may kill, freeze and start again
 * (the machine's Redis is shared and must not be touched). Its data lives in `dir`; with AOF on,
 * a restart gets back every write it acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { redisAnswersAt } from '../../common/redis.js';
import { freePort } from '../../cli/ports.js';
import { waitFor } from './wait.js';

export interface PrivateRedis {
  url: string;
  pid(): number;
  /** Sends `signal` (SIGKILL: a crash; SIGSTOP/SIGCONT: frozen and thawed) and, for the ones that end it, waits for the exit. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(o: { dir: string; aof?: boolean }): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', o.dir, '--save', '', '--appendonly', o.aof ? 'yes' : 'no', '--appendfsync', 'everysec'];
  let child: ChildProcess;
  const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(() => redisAnswersAt(url, 200), `private redis-server on port ${port}`, 10_000);
  };
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (exited(child)) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await start();
  return {
    url,
    pid: () => child.pid!,
    signal: async (signal) => {
      if (signal === 'SIGKILL' || signal === 'SIGTERM') return end(signal);
      child.kill(signal);
    },
    restart: start,
    stop: async () => {
      if (child.signalCode === null && child.exitCode === null) child.kill('SIGCONT');
      await end('SIGTERM');
    },
  };
}
