/**
 * Reading what is left of a refused request body before the answer closes the connection.
 *
 * Fastify answers a body it refused (too large, unparsable) with `Connection: close`, and a body
 * over the limit is not read at all. Closing a socket with unread bytes in its receive buffer makes
 * the kernel send a reset instead of a FIN, and the reset throws away the answer at the client
 * before it is read: a client that sends its whole request before reading (Python's http.client,
 * most scripts) sees a broken pipe instead of the 413.
 */
import type { IncomingMessage } from 'node:http';

export interface DrainLimits {
  bytes: number;
  ms: number;
}

/**
 * Enough for any body a client could mistake for acceptable (10 MB uploads of the wrong thing); a
 * sender going on past this or for longer is cut off, reset and all.
 */
export const DRAIN_LIMITS: DrainLimits = { bytes: 32 * 1024 * 1024, ms: 10_000 };

/** Reads and discards the rest of `req`'s body; resolves once it ended, or a limit was reached. */
export function drainRequest(req: IncomingMessage, limits: DrainLimits = DRAIN_LIMITS): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limits.bytes) done();
    };
    const timer = setTimeout(() => done(), limits.ms);
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    req.on('data', onData).once('end', done).once('close', done).once('error', done);
    req.resume();
  });
}
