/**
 * `GET /api/events`: the console's live stream as server-sent events. Each event is one JSON
 * `data:` line, named by its kind; a comment every HEARTBEAT_MS keeps proxies from closing an idle
 * stream and lets the browser notice a dead one. Streams are ended before the server closes, so a
 * shutdown does not wait for browsers to hang up.
 */
import type { ApiApp } from './context.js';
import type { LiveFeed } from '../live/live-events.js';
import { rawResponse } from './openapi.js';

const HEARTBEAT_MS = 15_000;
/** How long the browser waits before its own reconnect, should our script not handle it. */
const RETRY_MS = 2000;

export function eventRoutes(app: ApiApp, feed: LiveFeed): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/api/events', {
    schema: {
      summary: 'The console\'s live stream of order and device events',
      tags: ['console'],
      response: { 200: rawResponse('text/event-stream', `Server-sent events, each named by its kind with one JSON \`data:\` line; a comment every ${HEARTBEAT_MS / 1000} s`) },
    },
  }, (req, reply) => {
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
