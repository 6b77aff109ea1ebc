/**
 * Console sessions in Redis, so every API process sees a sign-out at once: `<prefix>:session:<sha256
 * of the id>` holds the user's name, the stamp of the account when it signed in, when it opened and
 * when it was last used. The cookie carries the id only; Redis never holds it. Idle and absolute
 * expiry are checked against the injected clock; the key's own TTL only collects the leftovers.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../../common/redis.js';

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
}

export interface Session {
  name: string;
  /** What the account was when the session opened (see UserDirectory.stamp): a change voids it. */
  stamp: string;
}

// Touching a session costs a write: once a minute is precise enough for an idle limit of minutes.
const TOUCH_EVERY_MS = 60_000;

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:session:${createHash('sha256').update(id).digest('hex')}`;
  }

  /** Opens a session; answers its id (the cookie value). */
  async open(s: Session): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const t = String(this.now());
    await this.redis.multi().hset(this.key(id), { name: s.name, stamp: s.stamp, openedAt: t, usedAt: t }).pexpire(this.key(id), this.limits.absoluteMs).exec();
    return id;
  }

  /** The session, if it is open and neither idle nor too old; marks it used. */
  async use(id: string): Promise<Session | null> {
    if (!/^[\w-]{43}$/.test(id)) return null;
    const key = this.key(id);
    const f = await this.redis.hgetall(key);
    if (!f.name) return null;
    const now = this.now();
    const usedAt = Number(f.usedAt);
    if (now - usedAt >= this.limits.idleMs || now - Number(f.openedAt) >= this.limits.absoluteMs) {
      await this.redis.del(key);
      return null;
    }
    if (now - usedAt >= TOUCH_EVERY_MS) await this.redis.hset(key, 'usedAt', String(now));
    return { name: f.name, stamp: f.stamp };
  }

  async close(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
