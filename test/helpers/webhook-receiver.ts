/**
 * A real HTTP receiver for team webhooks and Open311 callbacks: answers 200 and keeps every post
 * (path, headers, raw body). A callback's kind is its event header, its order the service request's id.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookPost {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  kind: string;
  orderId: string;
  note?: string;
}

export interface WebhookReceiver {
  /** Base URL, no trailing slash. */
  url: string;
  posts: WebhookPost[];
  server: Server;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: WebhookPost[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { kind?: string; order?: { id: string }; service_request_id?: string; note?: string };
      const kind = body.kind ?? String(req.headers['x-streetwatch-event'] ?? '');
      const orderId = body.order?.id ?? body.service_request_id ?? '';
      posts.push({ path: req.url ?? '', headers: req.headers, raw, kind, orderId, ...(body.note ? { note: body.note } : {}) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
