/**
 * Sign-ins begun at the identity provider and not yet back: the state, nonce and PKCE verifier of
 * each, in Redis under the SHA-256 of a random id the browser holds in a cookie, so every API
 * process can finish any sign-in, the browser never sees the verifier, and a callback without the
 * cookie that began it (a forged sign-in link) finds nothing. Each is taken once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../../common/redis.js';

export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Long enough to sign in at the provider (maybe with a second factor), short enough to go stale. */
export const OIDC_FLOW_TTL_S = 600;

const ID = /^[\w-]{43}$/;

export class OidcFlowStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:oidc-flow:${createHash('sha256').update(id).digest('hex')}`;
  }

  /** Keeps a flow; answers the id the browser's cookie carries. */
  async begin(flow: OidcFlow): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    await this.redis.set(this.key(id), JSON.stringify(flow), 'EX', OIDC_FLOW_TTL_S);
    return id;
  }

  /** The flow of `id`, removed so it cannot be used twice; null when unknown or expired. */
  async take(id: string): Promise<OidcFlow | null> {
    if (!ID.test(id)) return null;
    const raw = await this.redis.getdel(this.key(id));
    return raw ? (JSON.parse(raw) as OidcFlow) : null;
  }
}
