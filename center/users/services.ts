/** The Redis-backed pieces of sign-in the HTTP API is given: accounts, sessions, lockouts, API tokens, identity provider sign-ins under way, the audit log. */
import type { RedisClient } from '../../common/redis.js';
import { readAudit, type AuditLine } from '../audit/audit-log.js';
import type { CenterConfig } from '../config.js';
import { Accounts } from './accounts.js';
import { ApiTokenStore } from './api-token-store.js';
import { OidcFlowStore } from './oidc-flows.js';
import { SessionStore } from './session-store.js';
import { SignInLimiter } from './sign-in-limiter.js';

export interface UserServices {
  accounts: Accounts;
  sessions: SessionStore;
  limiter: SignInLimiter;
  tokens: ApiTokenStore;
  /** Sign-ins under way at the identity provider. */
  oidcFlows: OidcFlowStore;
  /** The newest `limit` lines of the centre's audit log. */
  audit(limit: number): Promise<AuditLine[]>;
}

export function userServices(redis: RedisClient, prefix: string, http: CenterConfig['http'], now: () => number): UserServices {
  return {
    accounts: new Accounts(redis, prefix, now),
    sessions: new SessionStore(redis, prefix, { idleMs: http.sessionIdleMinutes * 60_000, absoluteMs: http.sessionMaxHours * 3_600_000 }, now),
    limiter: new SignInLimiter(redis, prefix, http.signInLockout),
    tokens: new ApiTokenStore(redis, prefix),
    oidcFlows: new OidcFlowStore(redis, prefix),
    audit: (limit) => readAudit(redis, prefix, limit),
  };
}
