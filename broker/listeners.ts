/**
 * The broker's network listeners: plain TCP, TLS and MQTT over WebSocket. Each hands every new
 * connection, as a byte stream, to `accept`; none knows about MQTT.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { StreetWatchError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

export class BrokerListenError extends StreetWatchError {}

export type Transport = 'tcp' | 'tls' | 'ws';

export interface Accepted {
  transport: Transport;
  remote: string | undefined;
  /** The HTTP upgrade request of a WebSocket connection. */
  req?: IncomingMessage;
}

export type Accept = (stream: Duplex, info: Accepted) => void;

export interface Listener {
  readonly transport: Transport;
  readonly port: number;
  /** Stops accepting; open connections are the broker's to close. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new BrokerListenError('BROKER_LISTEN', `cannot listen for ${what} on ${host}:${port}: ${err.code ?? err.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    });
  });
}

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

export async function listenTcp(port: number, host: string, accept: Accept, log: Logger): Promise<Listener> {
  const server = createNetServer((socket) => accept(socket, { transport: 'tcp', remote: socket.remoteAddress }));
  const bound = await listen(server, port, host, 'MQTT');
  server.on('error', (err) => log.error({ err }, 'mqtt tcp listener error'));
  return { transport: 'tcp', port: bound, close: () => closeServer(server) };
}

export async function listenTls(
  tls: { port: number; keyFile: string; certFile: string },
  host: string,
  accept: Accept,
  log: Logger,
): Promise<Listener> {
  let key: Buffer;
  let cert: Buffer;
  try {
    key = readFileSync(tls.keyFile);
    cert = readFileSync(tls.certFile);
  } catch (err) {
    throw new BrokerListenError('BROKER_TLS_FILES', `mqtt.tls: cannot read the key or certificate: ${(err as Error).message}`);
  }
  const server = createTlsServer({ key, cert, minVersion: 'TLSv1.2' }, (socket) =>
    accept(socket, { transport: 'tls', remote: socket.remoteAddress }),
  );
  // Handshake failures (scanners, wrong CA on a device) are the client's problem, not an outage.
  server.on('tlsClientError', (err, socket) => log.debug({ err: err.message, remote: socket.remoteAddress }, 'mqtt tls handshake failed'));
  const bound = await listen(server, tls.port, host, 'MQTT over TLS');
  server.on('error', (err) => log.error({ err }, 'mqtt tls listener error'));
  return { transport: 'tls', port: bound, close: () => closeServer(server) };
}

/** MQTT over WebSocket (any path; mqtt.js uses /mqtt). `maxPayload` caps one WebSocket frame. */
export async function listenWs(port: number, host: string, maxPayload: number, accept: Accept, log: Logger): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, maxPayload });
  wss.on('connection', (ws, req) => accept(createWebSocketStream(ws), { transport: 'ws', remote: req.socket.remoteAddress, req }));
  wss.on('error', (err) => log.error({ err }, 'mqtt websocket listener error'));
  const bound = await listen(http, port, host, 'MQTT over WebSocket');
  http.on('error', (err) => log.error({ err }, 'mqtt websocket http error'));
  return {
    transport: 'ws',
    port: bound,
    async close() {
      wss.close();
      const closed = closeServer(http);
      http.closeIdleConnections();
      await closed;
    },
  };
}
