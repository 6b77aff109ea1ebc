/**
 * The centre's own MQTT broker (aedes 1.x): devices log in with registry credentials, the centre
 * with its service account; every publish and subscribe passes acl.ts; sessions, queued messages
 * and retained messages live in Redis so a restart loses nothing.
 *
 * A refused publish closes the client's connection (what aedes does on an authorizePublish error,
 * and what MQTT 3.1.1 allows: it has no way to say "not authorized" to a PUBLISH). aedes speaks
 * MQTT 3.1 and 3.1.1 only: clients must connect with protocolVersion 4.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type AuthErrorCode, type Client } from 'aedes';
import type { Logger } from '../common/logger.js';
import { StreetWatchError } from '../common/errors.js';
import { canPublish, canReceive, canSubscribe, unshare, type Identity } from './acl.js';
import type { DeviceRegistry } from './device-registry.js';
import { identifier } from './identify.js';
import { guardFrames, MQTT_PUBLISH } from './frame-guard.js';
import { listenTcp, listenTls, listenWs, type Accepted, type Listener } from './listeners.js';
import type { RedisTarget } from '../common/redis.js';
import { openRedisPersistence } from './redis-persistence.js';
import { SessionOwners, ownerOf } from './session-owners.js';

export class PublishDeniedError extends StreetWatchError {}

/** What the broker reads of its owner's config (the centre's `mqtt` section and root topic). */
export interface EmbeddedBrokerConfig {
  port: number;
  host: string;
  wsPort?: number;
  tls?: { port: number; keyFile: string; certFile: string };
  /** The centre's own account; a password is generated when none is given. */
  username: string;
  password?: string;
  /** Largest payload a device may publish. */
  maxMessageBytes: number;
  rootTopic: string;
}

export interface EmbeddedBrokerOptions {
  config: EmbeddedBrokerConfig;
  registry: DeviceRegistry;
  /** Redis (or a Redis Cluster) for the broker's persistence; keys go under `<prefix>:mqtt:`. */
  redis: RedisTarget & { prefix: string };
  logger: Logger;
  /**
   * How often connected devices are checked for revocation and kicked off, a backstop for a revoke
   * the broker did not hear announced (see DeviceRegistry.watchRevocations). 0 = never. Default 10 s.
   */
  revocationCheckMs?: number;
  /**
   * Called with every message a device publishes (its Last Will included) once the ACL allowed it,
   * and awaited BEFORE the broker acknowledges it: the centre journals it there, so that an
   * acknowledgement means the message is safe (aedes acknowledges QoS 1 before it stores anything).
   * A rejection refuses the publish: no PUBACK, the connection closes, and the device sends again.
   */
  onDevicePublish?: (m: DevicePublish) => Promise<unknown>;
}

export interface DevicePublish {
  deviceId: string;
  topic: string;
  payload: Buffer;
  retained: boolean;
}

export interface BrokerStats {
  /** `publish` counts every refused publish; `oversized` is the part refused for size. */
  denied: { connect: number; publish: number; subscribe: number; oversized: number };
  clients: number;
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly wsPort?: number;
  readonly tlsPort?: number;
  /** mqtt://host:port; a wildcard bind address is shown as 127.0.0.1. */
  readonly url: string;
  readonly wsUrl?: string;
  readonly tlsUrl?: string;
  /** The centre's service account; the password is generated when the config has none. */
  readonly center: { username: string; password: string };
  stats(): BrokerStats;
  close(): Promise<void>;
}

// Room for the topic (at most 64 KiB by the protocol) and the headers on top of the payload limit.
const FRAME_SLACK = 65_536 + 16;
const TOUCH_EVERY_MS = 60_000;
const RC = { identifierRejected: 2, serverUnavailable: 3, badCredentials: 4, notAuthorized: 5 } as const;

const byteLength = (payload: Buffer | string) => (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
const shortTopic = (t: string) => (t.length > 200 ? `${t.slice(0, 200)}…` : t);

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { config, registry } = opts;
  const root = config.rootTopic;
  const log = opts.logger.child({ component: 'mqtt-broker' });
  const center = { username: config.username, password: config.password ?? randomBytes(24).toString('base64url') };
  const maxPayload = config.maxMessageBytes;
  const denied = { connect: 0, publish: 0, subscribe: 0, oversized: 0 };

  const identities = new WeakMap<Client, Identity>();
  const willTopics = new WeakMap<Client, string>();
  /** Registered (authenticated) clients by client id. */
  const live = new Map<string, Client>();
  const conns = new Set<Duplex>();
  const lastTouch = new Map<string, number>();

  const touch = (deviceId: string) => {
    lastTouch.set(deviceId, Date.now());
    registry.touch(deviceId).catch((err: unknown) => log.debug({ err, deviceId }, 'device touch failed'));
  };
  /** Log fields naming a client. */
  const who = (client: Client | null) => {
    const identity = client ? identities.get(client) : undefined;
    return { clientId: client?.id ?? null, identity: identity ? ownerOf(identity) : null };
  };

  const store = await openRedisPersistence({ target: opts.redis, prefix: opts.redis.prefix, logger: log });
  const owners = new SessionOwners(store.redis);

  const refuseConnect = (client: Client, username: string | undefined, code: number, reason: string, done: (e: AuthenticateError, ok: boolean) => void) => {
    denied.connect++;
    log.warn({ clientId: client.id, username: username ?? null, reason }, 'mqtt connect refused');
    done(Object.assign(new Error(reason), { returnCode: code as AuthErrorCode }), false);
  };

  const identify = identifier(center, registry);

  /** Hands a device's message to onDevicePublish, then lets aedes go on (and acknowledge). */
  const keep = (deviceId: string, packet: { topic: string; payload: Buffer | string; retain?: boolean }, client: Client | null, cb: (err: Error | null) => void) => {
    if (!opts.onDevicePublish) return cb(null);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    opts.onDevicePublish({ deviceId, topic: packet.topic, payload, retained: Boolean(packet.retain) }).then(
      () => cb(null),
      (err: unknown) => {
        log.error({ ...who(client), deviceId, topic: shortTopic(packet.topic), err: (err as Error).message }, 'device message not kept; refusing it so the device sends it again');
        cb(new PublishDeniedError('MQTT_PUBLISH_NOT_KEPT', `publish to ${shortTopic(packet.topic)} could not be kept: ${(err as Error).message}`));
      },
    );
  };

  const denyPublish = (client: Client, topic: string, reason: string, bytes: number, cb: (err: Error) => void) => {
    denied.publish++;
    log.warn({ ...who(client), topic: shortTopic(topic), bytes, reason }, 'mqtt publish refused; closing the connection');
    cb(new PublishDeniedError('MQTT_PUBLISH_DENIED', `publish to ${shortTopic(topic)} refused: ${reason}`));
  };

  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker({
      persistence: store.persistence,
      drainTimeout: 30_000,
      // The only hook that sees the CONNECT packet: keep its will topic for authenticate.
      preConnect(client, packet, callback) {
        if (packet.will?.topic) willTopics.set(client, packet.will.topic);
        callback(null, true);
      },
      authenticate(client, username, password, done) {
        identify(username, password)
          .then(async (identity) => {
            if (!identity) return refuseConnect(client, username, RC.badCredentials, 'bad username or password', done);
            const will = willTopics.get(client);
            if (will !== undefined && !canPublish(identity, will, root)) {
              return refuseConnect(client, username, RC.notAuthorized, `will topic ${shortTopic(will)} not allowed`, done);
            }
            const other = live.get(client.id);
            const otherIdentity = other && identities.get(other);
            const takesOverAnother = otherIdentity !== undefined && ownerOf(otherIdentity) !== ownerOf(identity);
            if (takesOverAnother || !(await owners.claim(client.id, identity, !client.clean))) {
              return refuseConnect(client, username, RC.identifierRejected, 'client id belongs to another identity', done);
            }
            identities.set(client, identity);
            if (identity.kind === 'device') touch(identity.deviceId);
            done(null, true);
          })
          .catch((err: unknown) => {
            log.error({ err, clientId: client.id }, 'mqtt authentication failed');
            refuseConnect(client, username, RC.serverUnavailable, 'authentication unavailable', done);
          });
      },
      authorizePublish(client, packet, callback) {
        // No client: a will that a previous broker instance stored, checked when it connected.
        if (!client) {
          const deviceId = packet.topic.slice(root.length + 1).split('/', 1)[0];
          return canPublish({ kind: 'device', deviceId }, packet.topic, root) ? keep(deviceId, packet, null, callback) : callback(null);
        }
        const identity = identities.get(client);
        const bytes = byteLength(packet.payload);
        if (!identity) return denyPublish(client, packet.topic, 'not authenticated', bytes, callback);
        if (identity.kind === 'device' && bytes > maxPayload) {
          denied.oversized++;
          return denyPublish(client, packet.topic, `payload over ${maxPayload} bytes`, bytes, callback);
        }
        if (!canPublish(identity, packet.topic, root)) return denyPublish(client, packet.topic, 'topic not allowed', bytes, callback);
        if (identity.kind === 'center') return callback(null);
        if (Date.now() - (lastTouch.get(identity.deviceId) ?? 0) > TOUCH_EVERY_MS) touch(identity.deviceId);
        keep(identity.deviceId, packet, client, callback);
      },
      authorizeSubscribe(client, sub, callback) {
        const identity = identities.get(client);
        if (!identity || !canSubscribe(identity, sub.topic, root)) {
          denied.subscribe++;
          log.warn({ ...who(client), topic: shortTopic(sub.topic) }, 'mqtt subscription refused');
          return callback(null, null); // granted QoS 128
        }
        // aedes has no shared subscriptions; with one broker in the centre's own process a group of
        // one is a plain subscription (several ingest instances would each get every message).
        if (sub.topic.startsWith('$share/')) return callback(null, { ...sub, topic: unshare(sub.topic) });
        callback(null, sub);
      },
      // Also covers what reaches a client without a subscribe check: queued and retained messages.
      authorizeForward(client, packet) {
        const identity = identities.get(client);
        return identity && canReceive(identity, packet.topic, root) ? packet : null;
      },
    });
  } catch (err) {
    await store.close();
    throw err;
  }

  aedes.on('client', (client) => live.set(client.id, client));
  aedes.on('clientDisconnect', (client) => {
    if (live.get(client.id) === client) live.delete(client.id);
    const identity = identities.get(client);
    if (identity?.kind === 'device') touch(identity.deviceId);
  });
  aedes.on('clientError', (client, err) => {
    if (err instanceof PublishDeniedError) return; // logged where it was decided
    log.debug({ ...who(client), err: err.message }, 'mqtt client error');
  });
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id ?? null, err: err.message }, 'mqtt connection error'));
  // aedes emits 'error' when clearing stale wills fails; unheard, that would kill the process.
  const emitter: EventEmitter = aedes;
  emitter.on('error', (err: unknown) => log.error({ err }, 'mqtt broker error'));

  function accept(inner: Duplex, info: Accepted) {
    let client: Client | undefined;
    const conn = guardFrames(inner, maxPayload + FRAME_SLACK, (err) => {
      if (err.packetType === MQTT_PUBLISH) {
        denied.publish++;
        denied.oversized++;
      }
      log.warn({ ...who(client ?? null), remote: info.remote, transport: info.transport, packetType: err.packetType, bytes: err.length }, 'mqtt packet too large; closing the connection');
    });
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    client = aedes.handle(conn, info.req);
  }

  const listeners: Listener[] = [];
  let sweep: NodeJS.Timeout | undefined;
  let stopWatching: (() => Promise<void>) | undefined;
  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(sweep);
      await stopWatching?.();
      const stopped = Promise.all(listeners.map((l) => l.close()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const conn of conns) conn.destroy(); // anything aedes had not finished closing
      await stopped;
      await store.close();
    })();
    return closing;
  }

  try {
    // A revoke made anywhere (`streetwatch device revoke`, another centre process) closes the device's connections at once.
    stopWatching = await registry.watchRevocations(kick, (err) => log.warn({ err: err.message }, 'revocation watch: redis error'));
    listeners.push(await listenTcp(config.port, config.host, accept, log));
    if (config.tls) listeners.push(await listenTls(config.tls, config.host, accept, log));
    if (config.wsPort !== undefined) listeners.push(await listenWs(config.wsPort, config.host, maxPayload + FRAME_SLACK, accept, log));
  } catch (err) {
    await close();
    throw err;
  }

  const checkMs = opts.revocationCheckMs ?? 10_000;
  if (checkMs > 0) {
    let running = false;
    sweep = setInterval(() => {
      if (running) return;
      running = true;
      kickRevoked()
        .catch((err: unknown) => log.warn({ err }, 'revocation check failed'))
        .finally(() => (running = false));
    }, checkMs);
    sweep.unref();
  }

  /** Closes every open connection of a revoked device. */
  function kick(deviceId: string) {
    for (const client of live.values()) {
      const identity = identities.get(client);
      if (identity?.kind !== 'device' || identity.deviceId !== deviceId) continue;
      log.warn({ clientId: client.id, deviceId }, 'device revoked; closing its connection');
      client.close();
    }
  }

  /**
   * A revoke is checked at every CONNECT and heard at once through watchRevocations; this sweep
   * catches one announced while that watch was down.
   */
  async function kickRevoked() {
    const connected = new Set<string>();
    for (const client of live.values()) {
      const identity = identities.get(client);
      if (identity?.kind === 'device') connected.add(identity.deviceId);
    }
    for (const deviceId of await registry.revokedAmong([...connected])) kick(deviceId);
  }

  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const portOf = (t: Listener['transport']) => listeners.find((l) => l.transport === t)?.port;
  const port = portOf('tcp')!;
  const tlsPort = portOf('tls');
  const wsPort = portOf('ws');
  log.info({ port, tlsPort, wsPort, host: config.host, root }, 'mqtt broker listening');
  return {
    port,
    tlsPort,
    wsPort,
    url: `mqtt://${host}:${port}`,
    tlsUrl: tlsPort === undefined ? undefined : `mqtts://${host}:${tlsPort}`,
    wsUrl: wsPort === undefined ? undefined : `ws://${host}:${wsPort}`,
    center,
    stats: () => ({ denied: { ...denied }, clients: aedes.connectedClients }),
    close,
  };
}
