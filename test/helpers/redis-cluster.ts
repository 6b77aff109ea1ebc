/**
 * A Redis Cluster of the test's own: 3 masters and 3 replicas, each a redis-server on a free
 * loopback port with its files in `dir`, joined by `redis-cli --cluster create`. A killed master's
 * replica takes over after `nodeTimeoutMs` (no `cluster failover` needed).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../cli/ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface ClusterNodeProcess {
  port: number;
  url: string;
  child: ChildProcess;
}

export interface TestRedisCluster {
  nodes: ClusterNodeProcess[];
  /** redis:// URLs of every node, for `redisCluster.nodes`. */
  urls: string[];
  /** `redis-cli -p <port> <args…>` against one node. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The nodes not killed. */
  live(): ClusterNodeProcess[];
  /** CLUSTER KEYSLOT of `key`. */
  keySlot(key: string): Promise<number>;
  /** The node serving `slot` as master now, from any live node's view. */
  masterOf(slot: number): Promise<ClusterNodeProcess>;
  /** SIGKILLs the node and waits for its exit. */
  kill(node: ClusterNodeProcess): Promise<void>;
  stop(): Promise<void>;
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

const killNode = (n: ClusterNodeProcess) =>
  new Promise<void>((resolve) => {
    if (exited(n.child)) return resolve();
    n.child.once('exit', () => resolve());
    n.child.kill('SIGKILL');
  });

export async function startRedisCluster(o: { dir: string; nodeTimeoutMs?: number }): Promise<TestRedisCluster> {
  const nodes: ClusterNodeProcess[] = [];
  const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
  const stop = async () => {
    await Promise.all(nodes.map(killNode));
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', o.dir, '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(o.nodeTimeoutMs ?? 1000),
        // Replicas sync at once (not after the diskless sync's 5 s delay).
        '--repl-diskless-sync-delay', '0',
      ], { stdio: 'ignore' });
      nodes.push({ port, url: `redis://127.0.0.1:${port}`, child });
    }
    for (const n of nodes) await waitFor(async () => (await cli(n.port, 'PING').catch(() => '')).trim() === 'PONG', `redis-server on ${n.port}`, 10_000);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    for (const n of nodes) await waitFor(async () => (await cli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), `cluster_state:ok on ${n.port}`, 20_000);
    // A replica takes over only once it has synced with its master.
    for (const n of nodes) {
      await waitFor(async () => {
        const info = await cli(n.port, 'INFO', 'replication');
        return info.includes('role:master') || info.includes('master_link_status:up');
      }, `the replica on ${n.port} in sync`, 20_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const live = () => nodes.filter((n) => !exited(n.child));
  const masterOf = async (slot: number): Promise<ClusterNodeProcess> => {
    for (const n of live()) {
      const ranges = JSON.parse(await cli(n.port, '--json', 'CLUSTER', 'SLOTS').catch(() => '[]')) as [number, number, [string, number, string]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const port = range?.[2][1];
      const node = nodes.find((x) => x.port === port);
      if (node) return node;
    }
    throw new Error(`no live node knows who serves slot ${slot}`);
  };
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    cli,
    live,
    keySlot: async (key) => Number(await cli(live()[0].port, 'CLUSTER', 'KEYSLOT', key)),
    masterOf,
    kill: killNode,
    stop,
  };
}
