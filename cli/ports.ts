/** TCP ports for the processes the CLI starts: a free one, or a clear refusal when one is taken. */
import { createServer } from 'node:net';
import { StreetWatchError } from '../common/errors.js';

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Throws, naming the port and the flag that moves it, when `port` is already taken. */
export async function ensurePortFree(port: number, what: string, flag: string): Promise<void> {
  const taken = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    // No host: the wildcard address, so a server bound to any local address makes it fail.
    srv.listen(port, () => srv.close(() => resolve(false)));
  });
  if (taken) throw new StreetWatchError('PORT_TAKEN', `port ${port} (${what}) is already in use; choose another with ${flag} <port>`);
}
