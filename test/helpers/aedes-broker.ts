/**
 * An embedded aedes MQTT broker for tests that need to kill and revive "the broker".
 * Binds 127.0.0.1 only, on an OS-chosen port (never 1883, where the real Mosquitto runs), and
 * `restart()` comes back on the same port so clients reconnect on their own. The in-memory
 * persistence is carried over a restart, so persistent sessions (clean: false), their queued QoS 1
 * messages and retained messages survive it like on a broker with a disk.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface AedesHandle {
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly running: boolean;
  /** The live broker instance (replaced by each restart). */
  readonly broker: Aedes;
  /** Closes the broker and every client connection; the port is released. */
  stop(): Promise<void>;
  /** Starts again on the same port (stops first if running). */
  restart(): Promise<void>;
}

export interface StartAedesOptions {
  /** Default: a free port chosen by the OS. */
  port?: number;
  /** Passed to every broker instance (first start and restarts). */
  options?: AedesOptions;
  /** Called with each new broker instance before it accepts connections, e.g. to attach listeners. */
  onStart?: (broker: Aedes) => void;
}

export async function startAedes(opts: StartAedesOptions = {}): Promise<AedesHandle> {
  let broker!: Aedes;
  let server: Server | undefined;
  let persistence: unknown;
  const sockets = new Set<Socket>();
  let port = opts.port ?? 0;
  if (port === 1883) throw new Error('startAedes: 1883 belongs to the real Mosquitto; use a free port');

  async function start(): Promise<void> {
    broker = await Aedes.createBroker({ ...opts.options, ...(persistence ? { persistence } : {}) });
    // aedes does not declare the field; it is its documented `persistence` option, reused on restart.
    persistence ??= (broker as unknown as { persistence: unknown }).persistence;
    opts.onStart?.(broker);
    const srv = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        srv.off('error', reject);
        resolve();
      });
    });
    port = (srv.address() as { port: number }).port;
    server = srv;
  }

  async function stop(): Promise<void> {
    const srv = server;
    if (!srv) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const s of sockets) s.destroy(); // anything aedes had not finished closing
    await closed;
  }

  await start();
  return {
    get port() {
      return port;
    },
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get running() {
      return server !== undefined;
    },
    get broker() {
      return broker;
    },
    stop,
    async restart() {
      await stop();
      await start();
    },
  };
}
