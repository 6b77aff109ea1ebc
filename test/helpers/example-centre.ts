/**
 * The real centre for the console's browser tests: `examples/center.yaml` (its team webhook left
 * out: nothing receives it here), changed as a test needs, run as in the centre image on free
 * ports under a Redis prefix and a folder of its own; with `--demo`, since the tests sign in with
 * the example's public tokens.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { projectRoot } from '../../common/paths.js';
import { tempDir } from '../fixtures.js';
import { AS_IN_CENTER_IMAGE, freePort, runCli, waitFor, type Cli } from './processes.js';
import { deleteKeys } from './redis-keys.js';

export interface ExampleCentre {
  /** The HTTP API and console, `http://127.0.0.1:<port>`. */
  base: string;
  mqttPort: number;
  /** The centre's own folder (config, data), removed by `stop`; a test may keep its files there too. */
  dir: string;
  /** Redis key prefix, for the `streetwatch` commands a test runs against this centre. */
  prefix: string;
  /** The running centre process (a new one after `restart`). */
  center: Cli;
  /** Stops the centre process, awaits `whileDown`, and starts it again on the same ports, prefix and data; resolves once healthy. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Stops the centre and removes its Redis keys and folder. */
  stop(): Promise<void>;
}

/** `edit` changes the parsed example config; it is given the centre's address before the centre starts. */
export async function startExampleCentre(
  name: string,
  edit: (cfg: Record<string, any>, base: string) => void | Promise<void> = () => undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<ExampleCentre> {
  const prefix = `{sw${name}-${randomBytes(4).toString('hex')}}`;
  const dir = tempDir(`sw-console-${name}-`);
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${httpPort}`;
  const cfg = YAML.parse(readFileSync(join(projectRoot, 'examples', 'center.yaml'), 'utf8')) as Record<string, any>;
  delete cfg.teams[0].webhook;
  await edit(cfg, base);
  const centerConfig = join(dir, 'center.yaml');
  writeFileSync(centerConfig, YAML.stringify(cfg));
  const start = async (): Promise<Cli> => {
    const cli = runCli(['center', '--demo', '--config', centerConfig, '--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', join(dir, 'data')], {
      STREETWATCH_REDIS_PREFIX: prefix, ...env, ...AS_IN_CENTER_IMAGE,
    });
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, `centre health (${cli.output()})`, 30_000);
    return cli;
  };
  const centre: ExampleCentre = {
    base,
    mqttPort,
    dir,
    prefix,
    center: await start(),
    async restart(whileDown) {
      await centre.center.stop();
      await whileDown?.();
      centre.center = await start();
    },
    async stop() {
      await centre.center.stop();
      const redis = new Redis();
      await deleteKeys(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return centre;
}
