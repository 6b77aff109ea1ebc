/**
 * Signed outgoing webhooks: one POST, HMAC-SHA256 over the exact body bytes. Retrying is the
 * caller's business (the dispatcher's BullMQ job); this module only says whether one attempt worked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { StreetWatchError } from '../common/errors.js';

export const SIGNATURE_HEADER = 'X-StreetWatch-Signature';
export const EVENT_HEADER = 'X-StreetWatch-Event';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `sha256=<hex>` over the bytes exactly as sent; a receiver must verify the raw body, not re-serialised JSON. */
export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` header against the raw body. */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | string[] | null | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual needs equal lengths; the length of a well-formed signature is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One failed delivery attempt; `status` is null when no HTTP response came back (refused, timeout, DNS). */
export class WebhookError extends StreetWatchError {
  constructor(
    readonly url: string,
    readonly status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('WEBHOOK_FAILED', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  /** A reused keep-alive socket failed before any answer (the receiver had closed it): worth one more try at once. */
  staleSocket = false;

  /**
   * Always true: a 4xx other than 408/429 usually means the receiver is misconfigured (wrong secret,
   * route not deployed), and an order must not be lost to that, so the caller keeps retrying for its
   * whole retry window like for any other failure. This flag only tells logs which case it was.
   */
  get looksPermanent(): boolean {
    return this.status !== null && this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface PostWebhookInput {
  url: string;
  secret: string;
  body: object;
  /** Stable across retries of one notification, so the receiver can drop repeats. */
  idempotencyKey: string;
  /** Goes out as X-StreetWatch-Event (the dispatch kind, e.g. `order`, `sla_red`). */
  event: string;
  timeoutMs: number;
}

// Keep-alive agents: one TCP (and TLS) connection per receiver is reused across deliveries.
// node:http costs a fraction of fetch's CPU per request (no web streams, no AbortSignal per call).
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * POSTs; resolves on 2xx, throws WebhookError otherwise. A redirect is not followed (an error with
 * its status). A keep-alive socket the receiver closed while it sat idle fails the request sent on
 * it before any answer: that request alone is sent again at once on a fresh socket (within the same
 * timeout), as HTTP clients do; the Idempotency-Key makes a repeat harmless should it have arrived.
 */
export async function postWebhook(input: PostWebhookInput): Promise<{ status: number }> {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch (err) {
    throw new WebhookError(input.url, null, `webhook ${input.url} unreachable: not a URL`, { cause: err });
  }
  const bytes = Buffer.from(JSON.stringify(input.body), 'utf8');
  const deadline = Date.now() + input.timeoutMs;
  try {
    return await postOnce(url, input, bytes, url.protocol === 'https:' ? agents['https:'] : agents['http:'], deadline);
  } catch (err) {
    if (!(err instanceof WebhookError && err.staleSocket)) throw err;
    return postOnce(url, input, bytes, false, deadline);
  }
}

/** One request; `agent` false: a connection of its own. */
function postOnce(url: URL, input: PostWebhookInput, bytes: Buffer, agent: HttpAgent | false, deadline: number): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': bytes.length,
        [SIGNATURE_HEADER]: signBody(input.secret, bytes),
        [IDEMPOTENCY_HEADER]: input.idempotencyKey,
        [EVENT_HEADER]: input.event,
      },
    });
    // Settles once, whichever comes first: the answer, a socket error, a body cut off mid-way (which
    // emits no error on req), the timeout, or the connection closing with nothing said.
    let settled = false;
    let answered = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      const e = new WebhookError(input.url, null, `webhook ${input.url} unreachable: ${describeNetworkError(err)}`, { cause: err });
      e.staleSocket = req.reusedSocket && !answered && ['ECONNRESET', 'EPIPE'].includes((err as { code?: string }).code ?? '');
      reject(e);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), Math.max(0, deadline - Date.now()));
    req.on('response', (res) => {
      answered = true;
      // Drain the body so the keep-alive socket can be reused.
      res.resume();
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ status });
        else reject(new WebhookError(input.url, status, `webhook ${input.url} answered ${status}`));
      });
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })));
    });
    req.on('error', fail);
    req.on('close', () => fail(Object.assign(new Error('the connection closed without an answer'), { code: 'ECONNRESET' })));
    req.end(bytes);
  });
}

function describeNetworkError(err: Error): string {
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const code = (err as { code?: string }).code;
  return code ?? err.message;
}
