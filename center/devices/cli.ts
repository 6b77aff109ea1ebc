/**
 * `streetwatch device add|list|revoke`: manage the devices allowed on the centre's broker.
 * Talks to Redis directly (REDIS_URL), so it works whether or not the centre is running.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { StreetWatchError } from '../../common/errors.js';
import { textTable } from '../../common/text-table.js';
import { projectRoot } from '../../common/paths.js';
import { appendAudit, CLI_ACTOR } from '../audit/audit-log.js';
import { loadCenterConfig } from '../config.js';
import { prefixOption, withRedis } from '../redis-cli-options.js';
import { DeviceRegistry, type DeviceCredentials, type DeviceInfo } from '../../broker/device-registry.js';
import { checkBundleTarget, makeBundle, planBundle, writeBundleFile, type BundlePlan } from './edge-bundle.js';

export interface DeviceCliIo {
  /** Where command output goes (default process.stdout). */
  stdout?: { write(chunk: string): unknown };
  /** Where REDIS_URL is read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function registerDeviceCommands(program: Command, io: DeviceCliIo = {}): void {
  const out = (text: string) => (io.stdout ?? process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
  const env = io.env ?? process.env;

  /** Runs a registry change and records it in the centre's audit log, named as the command line's. */
  const change = <T>(prefix: string, action: string, deviceId: string, fn: (registry: DeviceRegistry) => Promise<T>): Promise<T> =>
    withRedis(env, prefix, async (redis) => {
      const result = await fn(new DeviceRegistry(redis, prefix));
      await appendAudit(redis, prefix, { at: new Date().toISOString(), by: CLI_ACTOR, action, subject: deviceId });
      return result;
    });
  const withRegistry = <T>(prefix: string, fn: (registry: DeviceRegistry) => Promise<T>): Promise<T> =>
    withRedis(env, prefix, (redis) => fn(new DeviceRegistry(redis, prefix)));

  const device = program.command('device').description("Devices allowed on the centre's MQTT broker (credentials in Redis).");
  const prefixFlag = prefixOption(env);

  device
    .command('add')
    .description('Register a device and print its MQTT credentials (shown once only), or write them into a bundle for `edge init`.')
    .argument('<deviceId>', 'the box\'s id: its MQTT username and first topic level (1-64 of A-Z a-z 0-9 _ . -)')
    .option('--json', 'print {"deviceId","username","password"} as JSON')
    .option('--rotate', 'issue new credentials for an existing device (the old password stops working; a revoked device is reinstated)')
    .option('--broker-url <mqttUrl>', 'the broker URL devices use (e.g. mqtts://centre.example:8883); with --bundle default from the centre config')
    .option('--bundle <file>', 'write a provisioning bundle for `streetwatch edge init` (JSON, or YAML for .yaml/.yml; mode 0600) instead of printing the password')
    .option('--broker-host <host>', 'with --bundle: host name boxes reach the centre by (default: the --broker-url host, else this machine\'s name)')
    .option('--center-url <url>', 'with --bundle: the centre\'s HTTP API as boxes reach it (default http.publicUrl, else http://<host>:<http.port>)')
    .option('--ca-file <pem>', 'with --bundle: the CA certificate boxes trust (default: from mqtt.tls.certFile)')
    .option('-c, --config <file>', 'with --bundle: the centre config', join(projectRoot, 'examples', 'center.yaml'))
    .option(...prefixFlag)
    .action(async (deviceId: string, o: AddFlags) => {
      // Everything that can fail is checked first: the password exists only until this command ends.
      const bundle = o.bundle === undefined ? undefined : prepareBundle(deviceId, o);
      const creds = await change(o.prefix, o.rotate ? 'device.rotated' : 'device.added', deviceId, (r) => (o.rotate ? r.rotate(deviceId) : r.add(deviceId)));
      if (bundle) {
        writeBundle(bundle.file, bundle.plan, creds, o.rotate === true);
        out(o.json
          ? JSON.stringify({ deviceId: creds.deviceId, username: creds.username, url: bundle.plan.mqttUrl, bundle: bundle.file })
          : describeBundle(creds, bundle.file, bundle.plan, o.rotate === true));
      } else if (o.json) {
        out(JSON.stringify({ deviceId: creds.deviceId, username: creds.username, password: creds.password, ...(o.brokerUrl ? { url: o.brokerUrl } : {}) }));
      } else {
        out(describeCredentials(creds, o.brokerUrl, o.rotate === true));
      }
    });

  function prepareBundle(deviceId: string, o: AddFlags): { file: string; plan: BundlePlan } {
    const file = resolve(o.bundle!);
    checkBundleTarget(file);
    const center = loadCenterConfig(resolve(o.config), env);
    return { file, plan: planBundle(center, deviceId, o) };
  }

  device
    .command('list')
    .description('List the registered devices.')
    .option('--json', 'print a JSON array')
    .option(...prefixFlag)
    .action(async (o: { json?: boolean; prefix: string }) => {
      const devices = await withRegistry(o.prefix, (r) => r.list());
      out(o.json ? JSON.stringify(devices) : formatTable(devices));
    });

  device
    .command('revoke')
    .description('Revoke a device: its open connections are closed at once and it is refused at its next connect.')
    .argument('<deviceId>', 'the registered device')
    .option(...prefixFlag)
    .action(async (deviceId: string, o: { prefix: string }) => {
      const info = await change(o.prefix, 'device.revoked', deviceId, (r) => r.revoke(deviceId));
      out(`device ${info.deviceId} revoked at ${info.revokedAt}; it can no longer connect (a running centre closes its open connections at once)`);
    });
}

interface AddFlags {
  json?: boolean;
  rotate?: boolean;
  brokerUrl?: string;
  bundle?: string;
  brokerHost?: string;
  centerUrl?: string;
  caFile?: string;
  config: string;
  prefix: string;
}

function writeBundle(file: string, plan: BundlePlan, creds: DeviceCredentials, rotated: boolean): void {
  try {
    writeBundleFile(file, makeBundle(plan, creds));
  } catch (err) {
    const again = `streetwatch device add ${creds.deviceId} --rotate --bundle ${file}`;
    throw new StreetWatchError('BUNDLE_WRITE', `device ${creds.deviceId} ${rotated ? 'has new credentials' : 'is registered'} but its bundle was not written (${(err as Error).message}); issue new credentials with \`${again}\``);
  }
}

function describeBundle(c: DeviceCredentials, file: string, plan: BundlePlan, rotated: boolean): string {
  return [
    `${rotated ? 'New credentials for' : 'Registered'} device ${c.deviceId}; the password is in the bundle only and cannot be read back.`,
    '',
    `  bundle: ${file} (mode 0600: it holds the password; delete it once the box is set up)`,
    `  broker: ${plan.mqttUrl}`,
    `  centre: ${plan.centerUrl}`,
    ...plan.notes.map((n) => `  ${n}`),
    '',
    'On the box:',
    `  streetwatch edge init ${file} --config edge.yaml --camera-source <rtsp://… or a video file>`,
    '  streetwatch edge doctor --config edge.yaml',
  ].join('\n');
}

function describeCredentials(c: DeviceCredentials, url: string | undefined, rotated: boolean): string {
  return [
    `${rotated ? 'New credentials for' : 'Registered'} device ${c.deviceId}. The password is shown this once; it cannot be read back.`,
    '',
    `  username: ${c.username}`,
    `  password: ${c.password}`,
    '',
    "Put them in the device's edge config:",
    '  mqtt:',
    `    url: ${url ?? 'mqtt://<centre-host>:1884   # the centre\'s mqtt.port; mqtts://<centre-host>:<mqtt.tls.port> with TLS'}`,
    `    username: ${c.username}`,
    `    password: ${c.password}`,
  ].join('\n');
}

function formatTable(devices: DeviceInfo[]): string {
  if (devices.length === 0) return 'no devices registered (add one with `streetwatch device add <deviceId>`)';
  const rows = [
    ['DEVICE', 'STATE', 'CREATED', 'LAST SEEN'],
    ...devices.map((d) => [d.deviceId, d.revokedAt ? `revoked ${d.revokedAt}` : 'active', d.createdAt, d.lastSeenAt ?? '-']),
  ];
  return textTable(rows);
}
