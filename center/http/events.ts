/**
 * `GET /api/events`: the console's live stream as server-sent events. Each event is one JSON
 * `data:` line, named by its kind; a comment every HEARTBEAT_MS keeps proxies from closing an idle
 * stream and lets the browser notice a dead one. Streams are ended before the server closes, so a
 * shutdown does not wait for browsers to hang up. `?scope=mine` (the officer app) keeps only the
 * signed-in officer's orders.
 */
import { z } from 'zod';
import type { ApiApp } from './context.js';
import type { LiveEvent, LiveFeed } from '../live/live-events.js';
import { signedIn } from './auth.js';
import { badRequest } from './errors.js';
import { rawResponse } from './openapi.js';

const eventsQuery = z.object({ scope: z.enum(['all', 'mine']).default('all').describe('`mine`: only order events of the signed-in officer\'s orders') });

/**
 * Pure filter state of one `mine` stream: an order event passes while the order is the officer's,
 * and once more when it stops being theirs (reassigned), so the app can drop it.
 */
export function mineFilter(officerId: string): (event: LiveEvent) => boolean {
  const mine = new Set<string>();
  return (event) => {
    if (event.kind !== 'order') return false;
    const { id, assignee } = event.order;
    if (assignee !== officerId) return mine.delete(id);
    mine.add(id);
    return true;
  };
}

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
      querystring: eventsQuery,
      response: { 200: rawResponse('text/event-stream', `Server-sent events, each named by its kind with one JSON \`data:\` line; a comment every ${HEARTBEAT_MS / 1000} s`) },
    },
  }, (req, reply) => {
    const user = signedIn(req);
    if (req.query.scope === 'mine' && !user.officerId) throw badRequest(`scope: \`mine\` needs an officer's account (${user.name} has no officer id)`, 'scope');
    const passes = req.query.scope === 'mine' ? mineFilter(user.officerId!) : () => true;
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
      if (!passes(event)) return;
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
