/**
 * Signed outgoing webhooks: one POST, HMAC-SHA256 over the exact body bytes. Retrying is the
 * caller's business (the dispatcher's BullMQ job); this module only says whether one attempt worked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** POSTs once; resolves on 2xx, throws WebhookError otherwise. */
export async function postWebhook(input: PostWebhookInput): Promise<{ status: number }> {
  const bytes = Buffer.from(JSON.stringify(input.body), 'utf8');
  let res: Response;
  try {
    res = await fetch(input.url, {
      method: 'POST',
      body: bytes,
      headers: {
        'Content-Type': 'application/json',
        [SIGNATURE_HEADER]: signBody(input.secret, bytes),
        [IDEMPOTENCY_HEADER]: input.idempotencyKey,
        [EVENT_HEADER]: input.event,
      },
      // A redirect would replay the signed body (with a full plate) to wherever it points.
      redirect: 'manual',
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error ? describeNetworkError(err) : String(err);
    throw new WebhookError(input.url, null, `webhook ${input.url} unreachable: ${reason}`, { cause: err });
  }
  // Drain the body so the keep-alive socket can be reused.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) {
    throw new WebhookError(input.url, res.status, `webhook ${input.url} answered ${res.status}`);
  }
  return { status: res.status };
}

function describeNetworkError(err: Error): string {
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}
