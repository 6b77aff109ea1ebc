/**
 * Who a name or token is: users of the config file (kept for bootstrap and compatibility) first,
 * then the accounts in Redis. A user's `stamp` changes whenever what they signed in as stops being
 * valid (a config token rotated; a stored password changed, or the user disabled), so a session
 * opened under the old stamp ends.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CenterConfig } from '../config.js';
import type { Accounts } from '../users/accounts.js';
import type { ApiTokenStore } from '../users/api-token-store.js';
import type { UserRecord } from '../users/user.js';
import type { ApiUser } from './deps.js';

type Cfg = Pick<CenterConfig, 'users' | 'teams'>;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const rosterTeams = (cfg: Cfg, officerId: string | undefined): string[] =>
  officerId ? cfg.teams.filter((t) => t.officers.some((o) => o.id === officerId)).map((t) => t.id) : [];

/** The API's view of each configured user. */
export function apiUsers(cfg: Cfg): Map<string, ApiUser> {
  return new Map(cfg.users.map((u) => [u.name, {
    name: u.name,
    role: u.role,
    ...(u.officerId ? { officerId: u.officerId } : {}),
    teams: rosterTeams(cfg, u.officerId),
  } satisfies ApiUser]));
}

/** Compares fixed-length digests of every token, no early exit, so timing tells nothing. */
export function tokenMatcher(cfg: Cfg): (token: string) => ApiUser | null {
  const byName = apiUsers(cfg);
  const users = cfg.users.map((u) => ({ digest: digest(u.token), user: byName.get(u.name)! }));
  return (token) => {
    const d = digest(token);
    let found: ApiUser | null = null;
    for (const u of users) if (timingSafeEqual(d, u.digest) && !found) found = u.user;
    return found;
  };
}

export interface KnownUser {
  user: ApiUser;
  stamp: string;
}

export class UserDirectory {
  private readonly configured: Map<string, ApiUser>;
  private readonly configStamps: Map<string, string>;
  readonly matchConfigToken: (token: string) => ApiUser | null;

  constructor(
    private readonly cfg: Cfg,
    private readonly accounts: Accounts,
    private readonly tokens: ApiTokenStore,
  ) {
    this.configured = apiUsers(cfg);
    this.configStamps = new Map(cfg.users.map((u) => [u.name, `token:${digest(`session:${u.token}`).toString('hex').slice(0, 32)}`]));
    this.matchConfigToken = tokenMatcher(cfg);
  }

  /** The enabled user a bearer token belongs to (a config user's, or one a user created), or null. */
  async byToken(token: string): Promise<ApiUser | null> {
    const configured = this.matchConfigToken(token);
    if (configured) return configured;
    const owner = await this.tokens.owner(token);
    return owner && !this.configured.has(owner) ? ((await this.byName(owner))?.user ?? null) : null;
  }

  /** True when the name belongs to a user of the config file (whose account cannot be stored too). */
  isConfigured(name: string): boolean {
    return this.configured.has(name);
  }

  /** The user by name, or null when unknown or disabled. */
  async byName(name: string): Promise<KnownUser | null> {
    const c = this.configured.get(name);
    if (c) return { user: c, stamp: this.configStamps.get(name)! };
    const r = await this.accounts.store.get(name);
    return r && !r.disabledAt ? this.known(r) : null;
  }

  /** What a stored user is to the API: their officer roster teams and their own team. */
  known(r: UserRecord): KnownUser {
    const teams = [...new Set([...rosterTeams(this.cfg, r.officerId), ...(r.team ? [r.team] : [])])];
    const user: ApiUser = {
      name: r.name,
      role: r.role,
      ...(r.officerId ? { officerId: r.officerId } : {}),
      teams,
      displayName: r.displayName,
      ...(r.mustChangePassword ? { mustChangePassword: true } : {}),
      ...(r.source === 'oidc' ? { oidc: true } : {}),
    };
    return { user, stamp: `account:${r.generation}` };
  }
}
