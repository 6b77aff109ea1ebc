/**
 * Doctor: the broker is reachable and accepts the box's credentials. An unreachable host, a TLS
 * failure and a refused login need different fixes, so each is reported in its own words.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import mqtt from 'mqtt';
import type { EdgeConfig } from '../config.js';
import type { CheckResult } from './verdicts.js';

const DEFAULT_PORTS: Record<string, number> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);
/** Node's TLS failures: its own ERR_TLS_/ERR_SSL_ codes and OpenSSL's certificate verification codes. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO)/;

type ConnectError = Error & { code?: string | number };

/**
 * One line saying what went wrong and where to look. `connected`: the TCP connection had opened,
 * so a network error afterwards is a broker (or TLS peer) hanging up, not an unreachable host.
 */
export function describeBrokerError(err: ConnectError, connected: { tls: boolean } | false): string {
  const { code } = err;
  if (code === 4) return 'login refused: bad username or password (mqtt.username / mqtt.password; `device add <id> --rotate --bundle` issues new ones)';
  if (code === 5) return 'login refused: not authorized';
  if (typeof code === 'number') return `refused by the broker (CONNACK ${code}): ${err.message}`;
  if (code && TLS_CODE.test(code)) return `TLS failed: ${err.message} (${code}); check mqtt.caFile and that the certificate names the host in mqtt.url`;
  if (code && NETWORK_CODES.has(code)) {
    return connected ? `connection dropped: ${err.message} (is the port in mqtt.url the broker's ${connected.tls ? 'TLS' : 'plain MQTT'} port?)` : `unreachable: ${err.message}`;
  }
  return err.message;
}

export async function checkBroker(mqttCfg: EdgeConfig['mqtt'], deviceId: string, timeoutMs = 5000): Promise<CheckResult> {
  const check = 'broker';
  const fail = (detail: string): CheckResult => ({ check, status: 'fail', detail });
  const url = new URL(mqttCfg.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
  const reach = await tcpReach(host, port, timeoutMs);
  if (reach) return fail(describeBrokerError(reach, false));
  let ca: Buffer | undefined;
  try {
    ca = mqttCfg.caFile ? await readFile(mqttCfg.caFile) : undefined;
  } catch (err) {
    return fail(`cannot read mqtt.caFile: ${(err as Error).message}`);
  }
  const refused = await mqttConnect(mqttCfg.url, {
    // Never the agent's own client id: connecting with it would throw a running agent off.
    clientId: `streetwatch-doctor-${deviceId}-${randomBytes(3).toString('hex')}`,
    username: mqttCfg.username || undefined,
    password: mqttCfg.password || undefined,
    ca,
    timeoutMs,
  });
  if (refused) return fail(describeBrokerError(refused, { tls: url.protocol === 'mqtts:' || url.protocol === 'wss:' }));
  const as = mqttCfg.username ? ` as ${mqttCfg.username}` : ' without credentials';
  return { check, status: 'pass', detail: `${mqttCfg.url}: connected${as}${ca ? ', certificate verified against mqtt.caFile' : ''}` };
}

/** undefined once a TCP connection opens, else the error. */
function tcpReach(host: string, port: number, timeoutMs: number): Promise<ConnectError | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(Object.assign(new Error(`no answer from ${host}:${port} within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', (err: ConnectError) => resolve(Object.assign(new Error(`${host}:${port}: ${err.code ?? err.message}`), { code: err.code })));
  });
}

/** undefined once the broker accepts the login (CONNACK 0), else why not. Nothing is published. */
function mqttConnect(url: string, o: { clientId: string; username?: string; password?: string; ca?: Buffer; timeoutMs: number }): Promise<ConnectError | undefined> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      clientId: o.clientId, username: o.username, password: o.password, ca: o.ca,
      protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: o.timeoutMs,
    });
    const done = (err: ConnectError | undefined) => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on('error', () => undefined); // late socket errors while closing
      client.end(true);
      resolve(err);
    };
    const timer = setTimeout(() => done(new Error(`no CONNACK within ${o.timeoutMs / 1000} s (is this an MQTT port?)`)), o.timeoutMs);
    client.once('connect', () => done(undefined));
    client.once('error', (err: ConnectError) => done(err));
    client.once('close', () => done(new Error('connection closed before CONNACK (a TLS port with mqtt://, or not an MQTT port?)')));
  });
}
