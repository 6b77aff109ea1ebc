/** The Redis-backed pieces of sign-in the HTTP API is given: accounts, sessions, lockouts. */
import type { Redis } from 'ioredis';
import type { CenterConfig } from '../config.js';
import { Accounts } from './accounts.js';
import { SessionStore } from './session-store.js';
import { SignInLimiter } from './sign-in-limiter.js';

export interface UserServices {
  accounts: Accounts;
  sessions: SessionStore;
  limiter: SignInLimiter;
}

export function userServices(redis: Redis, prefix: string, http: CenterConfig['http'], now: () => number): UserServices {
  return {
    accounts: new Accounts(redis, prefix, now),
    sessions: new SessionStore(redis, prefix, { idleMs: http.sessionIdleMinutes * 60_000, absoluteMs: http.sessionMaxHours * 3_600_000 }, now),
    limiter: new SignInLimiter(redis, prefix, http.signInLockout),
  };
}
