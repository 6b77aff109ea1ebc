import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { ConfigError } from '../common/config-file.js';
import { createLogger } from '../common/logger.js';
import { projectRoot } from '../common/paths.js';
import { guardPublicSecrets } from './public-secrets.js';
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
  demo?: boolean;
}

/** The demo's config, with its public tokens; `--demo` without `--config` runs it. */
export const DEMO_CONFIG = join(projectRoot, 'examples', 'center.yaml');

/** `STREETWATCH_DEMO`, for containers whose command line is fixed: 1 is the demo, empty or 0 is not. */
export function demoFromEnv(env: NodeJS.ProcessEnv): boolean {
  const v = env.STREETWATCH_DEMO ?? '';
  if (v === '1') return true;
  if (v === '' || v === '0') return false;
  throw new ConfigError(`STREETWATCH_DEMO: "${v}" is neither 1 (run as the demo) nor 0 or empty`);
}

/** The config file to load: `--config`, or the demo's with `--demo`; neither is refused. */
export function configFileOf(o: Pick<CenterFlags, 'config'>, demo: boolean): string {
  if (o.config) return resolve(o.config);
  if (demo) return DEMO_CONFIG;
  throw new ConfigError('no config: pass --config <file> (start from examples/center.yaml, with secrets of your own), or --demo to run the demo config with its public tokens');
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
    .option('-c, --config <file>', 'centre config (YAML or JSON); required unless --demo')
    .option('--demo', 'allow the example configs\' public tokens and secrets (with a warning); without --config, run examples/center.yaml. Also STREETWATCH_DEMO=1')
    .option('--mqtt-port <n>', 'port of the embedded MQTT broker')
    .option('--http-port <n>', 'port of the HTTP API')
    .option('--data-dir <dir>', 'where evidence photos are stored')
    .option('--mqtt-url <url>', 'use this external broker (Mosquitto, EMQX) instead of the embedded one')
    .option('--instance <id>', 'unique name of this process when several share one broker and Redis')
    .option('--role <roles>', `what this process runs: ${ROLES.join(',')}`, ROLES.join(','))
    .action(async (o: CenterFlags) => {
      const roles = parseRoles(o.role);
      const demo = o.demo === true || demoFromEnv(process.env);
      const config = applyFlags(loadCenterConfig(configFileOf(o, demo)), o);
      const logger = createLogger('center', { roles });
      guardPublicSecrets(config, { demo, logger });
      const center = await startCenter({ config, roles, instanceId: o.instance, logger });
      process.stdout.write(`StreetWatch centre running (${roles.join(', ')})\n  MQTT: ${center.mqttUrl}\n${center.httpUrl ? `  HTTP: ${center.httpUrl}\n` : ''}`);
      await new Promise<void>((done) => {
        const stop = () => void center.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
