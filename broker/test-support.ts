/**
 * Helpers for the broker's tests: a Redis key prefix of their own, a logger whose lines can be
 * read back, and mqtt.js clients that resolve on connect or on refusal.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../common/logger.js';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** `{swtest-<random>}`: a hash tag like the real prefix, unique to one test file. */
export const testPrefix = (): string => `{swtest-${randomBytes(6).toString('hex')}}`;

/** Deletes every key under the prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export interface CapturedLogger {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
}

/** A pino logger that keeps its JSON lines in memory (and prints nothing). */
export function captureLogger(): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** Connects, or rejects with the broker's refusal (mqtt.js puts the CONNACK return code in `code`). */
export function connectClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** Resolves with the first message on a topic matching `filter`'s exact topic, or null after `ms`. */
export function nextMessage(client: MqttClient, topic: string, ms = 3000): Promise<{ payload: Buffer; retain: boolean } | null> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer, packet: { retain: boolean }) => {
      if (t !== topic) return;
      done({ payload, retain: packet.retain });
    };
    const timer = setTimeout(() => done(null), ms);
    const done = (v: { payload: Buffer; retain: boolean } | null) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(v);
    };
    client.on('message', onMessage);
  });
}

export const waitFor = async (check: () => boolean | Promise<boolean>, ms = 5000, stepMs = 20): Promise<void> => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
};

/** The granted QoS per filter, 128 for a refused one (mqtt.js rejects the whole call then). */
export async function grantedQos(client: MqttClient, filters: string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted) return granted;
    throw err;
  }
}
