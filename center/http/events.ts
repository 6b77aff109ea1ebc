/**
 * `GET /api/events`: the console's live stream as server-sent events. Each event is one JSON
 * `data:` line, named by its kind; a comment every HEARTBEAT_MS keeps proxies from closing an idle
 * stream and lets the browser notice a dead one. Streams are ended before the server closes, so a
 * shutdown does not wait for browsers to hang up.
 */
import type { FastifyInstance } from 'fastify';
import type { LiveFeed } from '../live/live-events.js';

const HEARTBEAT_MS = 15_000;
/** How long the browser waits before its own reconnect, should our script not handle it. */
const RETRY_MS = 2000;

export function eventRoutes(app: FastifyInstance, feed: LiveFeed): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n: hello ${req.apiUser?.name ?? ''}\n\n`);
    const unsubscribe = feed.subscribe((event) => {
      res.write(`event: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      if (!open.delete(end)) return;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    open.add(end);
    req.raw.on('close', end);
  });
}
