import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { ConfigError } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { ROLES, startCenter, type Role } from './start.js';
import { loadCenterConfig, type CenterConfig } from './config.js';

interface CenterFlags {
  config?: string;
  mqttPort?: string;
  httpPort?: string;
  dataDir?: string;
  mqttUrl?: string;
  role: string;
  instance?: string;
}

const port = (flag: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${flag}: "${v}" is not a port number`);
  return n;
};

/** Command-line flags win over the config file. */
export function applyFlags(cfg: CenterConfig, o: CenterFlags): CenterConfig {
  return {
    ...cfg,
    dataDir: o.dataDir ? resolve(o.dataDir) : cfg.dataDir,
    mqtt: { ...cfg.mqtt, ...(o.mqttPort ? { port: port('--mqtt-port', o.mqttPort) } : {}), ...(o.mqttUrl ? { url: o.mqttUrl } : {}) },
    http: { ...cfg.http, ...(o.httpPort ? { port: port('--http-port', o.httpPort) } : {}) },
  };
}

export function parseRoles(text: string): Role[] {
  const roles = text.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length || !roles.length) throw new ConfigError(`--role: unknown role ${bad.join(', ') || '(none)'} (use ${ROLES.join(',')})`);
  return roles as Role[];
}

export function registerCenterCommands(program: Command): void {
  program
    .command('center')
    .description('Run the command centre: MQTT broker, ingest, work-order workers and the HTTP API.')
    .option('-c, --config <file>', 'centre config (YAML or JSON)', join(projectRoot, 'examples', 'center.yaml'))
    .option('--mqtt-port <n>', 'port of the embedded MQTT broker')
    .option('--http-port <n>', 'port of the HTTP API')
    .option('--data-dir <dir>', 'where evidence photos are stored')
    .option('--mqtt-url <url>', 'use this external broker (Mosquitto, EMQX) instead of the embedded one')
    .option('--instance <id>', 'unique name of this process when several share one broker and Redis')
    .option('--role <roles>', `what this process runs: ${ROLES.join(',')}`, ROLES.join(','))
    .action(async (o: CenterFlags) => {
      const roles = parseRoles(o.role);
      const config = applyFlags(loadCenterConfig(resolve(o.config!)), o);
      const center = await startCenter({ config, roles, instanceId: o.instance });
      process.stdout.write(`StreetWatch centre running (${roles.join(', ')})\n  MQTT: ${center.mqttUrl}\n${center.httpUrl ? `  HTTP: ${center.httpUrl}\n` : ''}`);
      await new Promise<void>((done) => {
        const stop = () => void center.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
