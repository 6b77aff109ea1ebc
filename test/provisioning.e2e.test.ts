/**
 * Field deployment, the provisioning round trip: `streetwatch device add --bundle` on a centre
 * with TLS → `streetwatch edge init` on the box → the written config loads, its credentials log in
 * to the real centre's broker over TLS and publish as the device, and `edge doctor` passes every
 * check against the running centre (clock against its real /healthz).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { registerDeviceCommands } from '../center/devices/cli.js';
import { DeviceRegistry } from '../broker/device-registry.js';
import { connectClient, dropPrefix, nextMessage, REDIS_URL, testPrefix } from '../broker/test-support.js';
import { createLogger } from '../common/logger.js';
import { edgeBundleSchema, type EdgeBundle } from '../contract/bundle.js';
import { topics } from '../contract/index.js';
import { registerEdgeCommands } from '../edge/cli.js';
import { loadEdgeConfig } from '../edge/config.js';
import { runDoctor } from '../edge/doctor.js';
import { checkCamera } from '../edge/doctor/camera.js';
import { PLACEHOLDER_CAMERA_SOURCE, readBundleFile } from '../edge/init.js';
import { startCenter, type RunningCenter } from '../center/start.js';
import { loadCenterConfig } from '../center/config.js';
import { makeClip, tempDir } from './fixtures.js';
import { freePort } from './helpers/processes.js';

/** Runs `streetwatch <args>` in this process (the real commands); returns what the device commands printed. */
async function cli(args: string[]): Promise<string> {
  let out = '';
  const program = new Command().exitOverride();
  program.configureOutput({ writeErr: () => undefined });
  registerDeviceCommands(program, { stdout: { write: (s: string) => (out += s) }, env: { REDIS_URL } });
  registerEdgeCommands(program);
  await program.parseAsync(['node', 'streetwatch', ...args]);
  return out;
}

const mode = (file: string) => statSync(file).mode & 0o777;

describe('provisioning: device add --bundle → edge init → a box that logs in and passes doctor', () => {
  const prefix = testPrefix();
  const dir = tempDir('sw-provision-');
  const box = tempDir('sw-provision-box-');
  const centerYaml = join(dir, 'center.yaml');
  const bundleFile = join(dir, 'pole-prov.json');
  const edgeYaml = join(box, 'edge.yaml');
  const clip = join(box, 'street.avi');
  const redis = new Redis(REDIS_URL);
  const clients: MqttClient[] = [];
  let ports: { mqtt: number; tls: number; http: number };
  let center: RunningCenter | undefined;
  let bundle: EdgeBundle;

  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    ports = { mqtt: await freePort(), tls: await freePort(), http: await freePort() };
    writeFileSync(centerYaml, YAML.stringify({
      redisPrefix: prefix, redisUrl: REDIS_URL, dataDir: join(dir, 'data'), timezone: 'Asia/Shanghai',
      mqtt: { host: '127.0.0.1', port: ports.mqtt, tls: { port: ports.tls, keyFile: 'key.pem', certFile: 'cert.pem' } },
      http: { host: '127.0.0.1', port: ports.http },
      teams: [{ id: 'team-a' }], defaultTeam: 'team-a',
    }));
    makeClip(clip, { seconds: 10 });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await center?.close();
    await dropPrefix(redis, prefix);
    redis.disconnect();
  });

  it('device add --bundle writes a 0600 bundle with the TLS URL, the self-signed certificate and no password on screen', async () => {
    const out = await cli(['device', 'add', 'pole-prov', '--bundle', bundleFile, '--config', centerYaml, '--broker-host', '127.0.0.1', '--prefix', prefix]);
    expect(mode(bundleFile)).toBe(0o600);
    bundle = edgeBundleSchema.parse(JSON.parse(readFileSync(bundleFile, 'utf8')));
    expect(bundle).toMatchObject({
      kind: 'streetwatch-edge-bundle', v: 1, deviceId: 'pole-prov', timezone: 'Asia/Shanghai', centerUrl: `http://127.0.0.1:${ports.http}`,
      mqtt: { url: `mqtts://127.0.0.1:${ports.tls}`, username: 'pole-prov', rootTopic: 'streetwatch/v1', caPem: readFileSync(join(dir, 'cert.pem'), 'utf8') },
    });
    expect(await new DeviceRegistry(redis, prefix).verify('pole-prov', bundle.mqtt.password)).not.toBeNull();
    expect(out).toContain(`bundle: ${bundleFile} (mode 0600`);
    expect(out).toContain('self-signed server certificate');
    expect(out).not.toContain(bundle.mqtt.password);
  });

  it('a YAML bundle reads back the same; a host the certificate does not name gets a warning', async () => {
    const yamlBundle = join(dir, 'pole-named.yaml');
    const out = await cli(['device', 'add', 'pole-named', '--bundle', yamlBundle, '--config', centerYaml, '--broker-host', 'centre.example', '--prefix', prefix]);
    expect(readBundleFile(yamlBundle)).toMatchObject({ deviceId: 'pole-named', mqtt: { url: `mqtts://centre.example:${ports.tls}` } });
    expect(out).toContain('warning: the centre certificate does not name "centre.example"; boxes will refuse it');
  });

  it('device add --bundle checks before registering: a bad broker URL leaves no device behind', async () => {
    await expect(cli(['device', 'add', 'pole-bad', '--bundle', join(dir, 'bad.json'), '--config', centerYaml, '--broker-url', 'http://centre', '--prefix', prefix]))
      .rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('mqtt.url') });
    expect(await new DeviceRegistry(redis, prefix).get('pole-bad')).toBeNull();
  });

  it('edge init writes a config (0600) and the CA beside it; it loads, and is not overwritten without --force', async () => {
    await cli(['edge', 'init', bundleFile, '--config', edgeYaml, '--camera-source', clip]);
    expect(mode(edgeYaml)).toBe(0o600);
    const cfg = loadEdgeConfig(edgeYaml);
    expect(cfg.device).toEqual({ id: 'pole-prov', timezone: 'Asia/Shanghai' });
    expect(cfg.center).toEqual({ url: bundle.centerUrl });
    expect(cfg.mqtt).toMatchObject({ url: bundle.mqtt.url, username: 'pole-prov', password: bundle.mqtt.password, rootTopic: 'streetwatch/v1', caFile: join(box, 'edge-broker-ca.pem') });
    expect(readFileSync(cfg.mqtt.caFile!, 'utf8')).toBe(bundle.mqtt.caPem);
    expect(cfg.cameras).toMatchObject([{ id: 'cam-1', source: clip, zones: [] }]);

    await expect(cli(['edge', 'init', bundleFile, '--config', edgeYaml])).rejects.toMatchObject({ code: 'EDGE_INIT_EXISTS' });
    expect(loadEdgeConfig(edgeYaml).cameras[0].source).toBe(clip);
    // Without a camera the config still loads, with a placeholder source that doctor names.
    const other = join(box, 'other.yaml');
    await cli(['edge', 'init', bundleFile, '--config', other]);
    expect(loadEdgeConfig(other).cameras[0].source).toBe(PLACEHOLDER_CAMERA_SOURCE);
    expect(readFileSync(other, 'utf8')).toContain('# TODO: set source to the camera stream');
    const { result } = await checkCamera(loadEdgeConfig(other).cameras[0], 0, 1);
    expect(result).toMatchObject({ status: 'fail', detail: expect.stringContaining('still the placeholder from edge init') });
    await cli(['edge', 'init', bundleFile, '--config', other, '--camera-source', clip, '--force']);
    expect(loadEdgeConfig(other).cameras[0].source).toBe(clip);
  });

  it('the written credentials log in to the real centre broker over TLS and publish as the device', async () => {
    const logger = createLogger('provisioning-test');
    logger.level = 'warn';
    center = await startCenter({ config: loadCenterConfig(centerYaml), roles: ['api'], logger });
    const cfg = loadEdgeConfig(edgeYaml);
    const { center: account } = center.broker!;
    const listener = await connectClient(`mqtt://127.0.0.1:${ports.mqtt}`, { username: account.username, password: account.password });
    clients.push(listener);
    const topic = topics.status(cfg.mqtt.rootTopic, cfg.device.id);
    await listener.subscribeAsync(topic, { qos: 1 });
    const pole = await connectClient(cfg.mqtt.url, { username: cfg.mqtt.username, password: cfg.mqtt.password, ca: readFileSync(cfg.mqtt.caFile!) });
    clients.push(pole);
    const got = nextMessage(listener, topic);
    await pole.publishAsync(topic, 'hello from the box', { qos: 1 });
    expect((await got)?.payload.toString()).toBe('hello from the box');
  });

  it('edge doctor passes every check on the provisioned box', async () => {
    // Several seconds of frames: on a busy machine two or three intervals are mostly jitter.
    const results = await runDoctor(edgeYaml, { seconds: 5 });
    expect(results.map((r) => r.check)).toEqual(['config', 'camera cam-1', 'model', 'inference', 'plates', 'broker', 'clock', 'spool']);
    expect(results.filter((r) => r.status !== 'pass'), JSON.stringify(results, null, 2)).toEqual([]);
    const detail = Object.fromEntries(results.map((r) => [r.check, r.detail]));
    expect(detail['camera cam-1']).toMatch(/768×576: [12]\.\d frames\/s \(configured 2\), stream 10\.0 fps; decoding \d+ % of a core$/);
    expect(detail.inference).toContain('on a frame of cam-1 (768×576)');
    expect(detail.broker).toBe(`mqtts://127.0.0.1:${ports.tls}: connected as pole-prov, certificate verified against mqtt.caFile`);
    // The centre runs in this process, so its answer may wait for the event loop: within a second is in step here.
    expect(detail.clock).toMatch(/^box clock (in step with|\d+ ms (behind|ahead of)) the centre/);
  });
});
