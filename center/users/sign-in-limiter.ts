/**
 * Password guessing, slowed: failed sign-ins are counted per user name and per client address in
 * Redis (so every API process shares the count) over a window; reaching the limit locks that name
 * or address out for the lockout time. A success clears the user's count; an admin can clear a
 * lockout early.
 */
import type { RedisClient } from '../../common/redis.js';
import { appendAudit } from '../audit/audit-log.js';

export interface LockoutLimits {
  userFailures: number;
  addressFailures: number;
  minutes: number;
}

// KEYS: count, lock. ARGV: limit, window ms. The count starts its window on the first failure.
const FAIL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('DEL', KEYS[1])
end
return n`;

type Kind = 'user' | 'address';

export class SignInLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: LockoutLimits,
  ) {}

  private key(what: 'fail' | 'lock', kind: Kind, value: string): string {
    return `${this.prefix}:sign-in:${what}:${kind}:${value}`;
  }

  private get windowMs(): number {
    return Math.round(this.limits.minutes * 60_000);
  }

  /** Seconds until `name` and `address` may try again; 0 when neither is locked out. */
  async retryAfterS(name: string | null, address: string): Promise<number> {
    const ttls = await Promise.all([
      this.redis.pttl(this.key('lock', 'address', address)),
      name === null ? -2 : this.redis.pttl(this.key('lock', 'user', name)),
    ]);
    return Math.ceil(Math.max(0, ...ttls) / 1000);
  }

  async failed(name: string | null, address: string): Promise<void> {
    await this.redis.eval(FAIL, 2, this.key('fail', 'address', address), this.key('lock', 'address', address), this.limits.addressFailures, this.windowMs);
    if (name !== null) await this.redis.eval(FAIL, 2, this.key('fail', 'user', name), this.key('lock', 'user', name), this.limits.userFailures, this.windowMs);
  }

  async succeeded(name: string): Promise<void> {
    await this.redis.del(this.key('fail', 'user', name));
  }

  /** When the user's lockout ends (ISO), or null when they are not locked out. */
  async lockedUntil(name: string, nowMs: number): Promise<string | null> {
    const ttl = await this.redis.pttl(this.key('lock', 'user', name));
    return ttl > 0 ? new Date(nowMs + ttl).toISOString() : null;
  }

  /** Ends a lockout and forgets the failures; true when there was a lockout, which the audit log then names `by`. */
  async clear(kind: Kind, value: string, by: string, nowMs: number): Promise<boolean> {
    const [locked] = await Promise.all([this.redis.del(this.key('lock', kind, value)), this.redis.del(this.key('fail', kind, value))]);
    if (locked === 1) await appendAudit(this.redis, this.prefix, { at: new Date(nowMs).toISOString(), by, action: `sign-in-lockout.cleared`, subject: kind === 'user' ? value : `address:${value}` });
    return locked === 1;
  }
}
