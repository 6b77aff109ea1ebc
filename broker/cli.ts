/**
 * `streetwatch device add|list|revoke`: manage the devices allowed on the centre's broker.
 * Talks to Redis directly (REDIS_URL), so it works whether or not the centre is running.
 */
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { StreetWatchError } from '../common/errors.js';
import { DeviceRegistry, type DeviceCredentials, type DeviceInfo } from './device-registry.js';
import { redactUrl } from './redis-persistence.js';

export interface DeviceCliIo {
  /** Where command output goes (default process.stdout). */
  stdout?: { write(chunk: string): unknown };
  /** Where REDIS_URL is read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_PREFIX = '{sw}';
const PREFIX_PATTERN = /^\{[A-Za-z0-9_-]+\}$/;

/** A ready Redis client, or a StreetWatchError within ~2 s saying how to get one. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null, // a CLI should fail, not wait for Redis to come back
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    const why = (lastError ?? (err as Error)).message;
    throw new StreetWatchError(
      'REDIS_UNAVAILABLE',
      `cannot reach Redis at ${redactUrl(url)} (${why}). Start one with \`redis-server --daemonize yes\`, or point REDIS_URL at yours.`,
    );
  }
}

export function registerDeviceCommands(program: Command, io: DeviceCliIo = {}): void {
  const out = (text: string) => (io.stdout ?? process.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
  const env = io.env ?? process.env;

  async function withRegistry<T>(prefix: string, fn: (registry: DeviceRegistry) => Promise<T>): Promise<T> {
    if (!PREFIX_PATTERN.test(prefix)) throw new StreetWatchError('CLI_USAGE', `--prefix must be a hash tag like {sw}, got "${prefix}"`);
    const redis = await connectRedis(env.REDIS_URL || DEFAULT_REDIS_URL);
    try {
      return await fn(new DeviceRegistry(redis, prefix));
    } finally {
      redis.disconnect();
    }
  }

  const device = program.command('device').description("Devices allowed on the centre's MQTT broker (credentials in Redis).");
  const prefixOption = ['--prefix <prefix>', 'Redis key prefix (the centre config redisPrefix; env STREETWATCH_REDIS_PREFIX)', env.STREETWATCH_REDIS_PREFIX || DEFAULT_PREFIX] as const;

  device
    .command('add <deviceId>')
    .description('Register a device and print its MQTT credentials (shown once only).')
    .option('--json', 'print {"deviceId","username","password"} as JSON')
    .option('--rotate', 'issue new credentials for an existing device (the old password stops working; a revoked device is reinstated)')
    .option('--url <mqttUrl>', "the broker URL devices use, for the hint (e.g. mqtts://centre.example:8883)")
    .option(...prefixOption)
    .action(async (deviceId: string, o: { json?: boolean; rotate?: boolean; url?: string; prefix: string }) => {
      const creds = await withRegistry(o.prefix, (r) => (o.rotate ? r.rotate(deviceId) : r.add(deviceId)));
      if (o.json) {
        out(JSON.stringify({ deviceId: creds.deviceId, username: creds.username, password: creds.password, ...(o.url ? { url: o.url } : {}) }));
      } else {
        out(describeCredentials(creds, o.url, o.rotate === true));
      }
    });

  device
    .command('list')
    .description('List the registered devices.')
    .option('--json', 'print a JSON array')
    .option(...prefixOption)
    .action(async (o: { json?: boolean; prefix: string }) => {
      const devices = await withRegistry(o.prefix, (r) => r.list());
      out(o.json ? JSON.stringify(devices) : formatTable(devices));
    });

  device
    .command('revoke <deviceId>')
    .description('Revoke a device: refused at its next connect, and its open connections are closed.')
    .option(...prefixOption)
    .action(async (deviceId: string, o: { prefix: string }) => {
      const info = await withRegistry(o.prefix, (r) => r.revoke(deviceId));
      out(`device ${info.deviceId} revoked at ${info.revokedAt}; it can no longer connect (a running centre closes its open connections within seconds)`);
    });
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
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
