/**
 * `npm run demo` (`streetwatch demo`): the whole system on one machine. The centre (embedded broker,
 * ingest, workers, API and console), an edge agent replaying the clip in real time in a loop with
 * the two demo zones, and a stand-in for the enforcement team's dispatch system that prints the
 * work orders it receives. Ctrl-C stops everything cleanly.
 */
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { StreetWatchError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { DeviceRegistry } from '../broker/device-registry.js';
import type { RunningAgent } from '../edge/agent.js';
import { loadEdgeConfig } from '../edge/config.js';
import { fetchModel } from '../models/fetch.js';
import { withDownloadProgress } from '../models/progress.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { loadCenterConfig, type CenterConfig } from '../center/config.js';
import { DEMO_CONFIG } from '../center/cli.js';
import { guardPublicSecrets } from '../center/public-secrets.js';
import type { WorkOrder } from '../ticketing/work-order.js';
import { demoClip } from './demo-clip.js';
import { demoRedis, type DemoRedis } from './demo-redis.js';
import { ensurePortFree, freePort } from './ports.js';

const EDGE_CONFIG = join(projectRoot, 'examples', 'edge-vtest.yaml');
const DEVICE = 'pole-0001';

interface DemoFlags {
  mqttPort: string;
  httpPort: string;
  video?: string;
  dataDir: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the whole system on this machine: centre, console and an edge agent replaying the demo clip.')
    .option('--mqtt-port <n>', 'port of the embedded MQTT broker', '1884')
    .option('--http-port <n>', 'port of the API and console', '8080')
    .option('--video <file>', 'clip to replay (default: ../shared/fixtures/vtest.avi, else downloaded)')
    .option('--data-dir <dir>', 'evidence, spool and a private Redis live here', join(projectRoot, 'data', 'demo'))
    .action(async (o: DemoFlags) => {
      // The demo talks to people: only warnings and errors of the parts, its own lines on stdout.
      process.env.LOG_LEVEL ??= 'warn';
      const demo = await startDemo({ mqttPort: portFlag(o.mqttPort, '--mqtt-port'), httpPort: portFlag(o.httpPort, '--http-port'), video: o.video, dataDir: resolve(o.dataDir) });
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          say(`${signal}: stopping…`);
          process.once(signal, () => process.exit(130)); // a second Ctrl-C does not wait
          void demo.stop().then(done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      say('stopped');
    });
}

export interface DemoOptions {
  mqttPort: number;
  httpPort: number;
  video?: string;
  dataDir: string;
}

export interface RunningDemo {
  center: RunningCenter;
  agent: RunningAgent;
  redis: DemoRedis;
  stop(): Promise<void>;
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  // Refuse taken ports before anything starts, naming the flag that moves them.
  await ensurePortFree(o.mqttPort, 'MQTT broker', '--mqtt-port');
  await ensurePortFree(o.httpPort, 'console and API', '--http-port');
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((err: Error) => say(`while stopping: ${err.message}`));
  };
  try {
    const redis = await demoRedis(o.dataDir);
    stops.push(() => redis.stop());
    say(redis.private ? `Redis: started a private redis-server (${redis.url}, data in ${o.dataDir}/redis)` : `Redis: ${redis.url}`);

    for (const model of ['yolox_nano', 'y5fu_640x_sim']) await withDownloadProgress(`downloading ${model}`, (onProgress) => fetchModel(model, { onProgress }));
    const video = await withDownloadProgress('downloading vtest.avi', (onProgress) => demoClip(o.video, onProgress));
    say(`clip: ${video}`);

    const team = await teamReceiver();
    stops.push(() => new Promise((r) => team.server.close(r)));
    const env = { ...process.env, REDIS_URL: redis.url, STREETWATCH_REDIS_PREFIX: process.env.STREETWATCH_REDIS_PREFIX || '{swdemo}', TEAM_WEBHOOK_URL: team.url };
    const centerConfig = demoCenterConfig(loadCenterConfig(DEMO_CONFIG, env), o);
    const logger = createLogger('center');
    guardPublicSecrets(centerConfig, { demo: true, logger });
    const center = await startCenter({ config: centerConfig, logger });
    stops.push(() => center.close());

    const creds = await deviceCredentials(centerConfig);
    const edgeConfig = loadEdgeConfig(EDGE_CONFIG, { ...process.env, MQTT_URL: center.mqttUrl, MQTT_PASSWORD: creds.password });
    // The agent (onnxruntime, sharp) loads with the demo, not with every `streetwatch` start.
    const { runAgent } = await import('../edge/agent.js');
    const agent = await runAgent({
      ...edgeConfig,
      spool: { ...edgeConfig.spool, dir: join(o.dataDir, 'spool') },
      cameras: edgeConfig.cameras.map((c) => ({ ...c, source: video, loop: true })),
    });
    stops.push(() => agent.stop());

    banner(center, centerConfig);
    return { center, agent, redis, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function demoCenterConfig(cfg: CenterConfig, o: DemoOptions): CenterConfig {
  return {
    ...cfg,
    dataDir: join(o.dataDir, 'center'),
    mqtt: { ...cfg.mqtt, port: o.mqttPort },
    http: { ...cfg.http, port: o.httpPort },
  };
}

/** The box's credentials: registered on first run, rotated after (the old password was never stored). */
async function deviceCredentials(cfg: CenterConfig): Promise<{ password: string }> {
  const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const registry = new DeviceRegistry(redis, cfg.redisPrefix);
    return (await registry.get(DEVICE)) ? await registry.rotate(DEVICE) : await registry.add(DEVICE);
  } finally {
    redis.disconnect();
  }
}

/** Stands in for the enforcement team's dispatch system: prints each order the centre sends. */
async function teamReceiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(200).end('ok');
      try {
        const { kind, order } = JSON.parse(body) as { kind: string; order: WorkOrder };
        say(`team received ${kind}: work order ${order.id} — ${order.type} (${order.label}) at ${order.deviceId}/${order.cameraId} zone ${order.zoneId}, ${order.state}, officer ${order.assignee ?? '—'}`);
      } catch {
        say(`team received a message it could not read (${body.length} bytes)`);
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${port}/orders` };
}

function banner(center: RunningCenter, cfg: CenterConfig): void {
  const users = cfg.users.map((u) => `    ${u.role.padEnd(9)} ${u.name.padEnd(12)} token ${u.token}`).join('\n');
  process.stdout.write(
    `\nStreetWatch demo running\n` +
      `  console:  ${center.httpUrl}\n` +
      `  sign in with one of:\n${users}\n` +
      `  MQTT:     ${center.mqttUrl} (device ${DEVICE})\n` +
      `The box replays the clip in real time. The van and the car at the top right stand on the\n` +
      `yellow-lined kerb: after 30 s each becomes an illegal_parking detection and a work order.\n` +
      `Ctrl-C stops everything.\n\n`,
  );
}

function portFlag(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new StreetWatchError('DEMO_FLAG', `${flag}: "${v}" is not a port number`);
  return n;
}

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}
