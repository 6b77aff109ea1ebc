/**
 * User accounts in Redis: a hash `<prefix>:user:<name>` per user and the set `<prefix>:users`.
 * Every change is a script that also pushes its audit line, and password changes and disables
 * raise the user's `generation`, which voids their sessions and API tokens everywhere at once.
 */
import type { RedisClient } from '../../common/redis.js';
import { StreetWatchError } from '../../common/errors.js';
import { ID_PATTERN } from '../../contract/index.js';
import { auditKey, auditPushLua, MAX_AUDIT_LINES, OIDC_ACTOR, type AuditLine } from '../audit/audit-log.js';
import type { Role } from '../config.js';
import type { OidcProfile } from './oidc-profile.js';
import type { NewUser, UserInfo, UserRecord } from './user.js';

export class UserError extends StreetWatchError {}

export const userNotFound = (name: string): UserError => new UserError('USER_NOT_FOUND', `no user ${name}`);

// KEYS: user, set, audit. ARGV: name, audit line, cap, then field/value pairs.
const ADD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('SADD', KEYS[2], ARGV[1])
${auditPushLua(3, 2)}
return 1`;

// KEYS: user, audit. ARGV: audit line, cap, raise generation ('1'/'0'), fields to delete
// (space-separated), then field/value pairs.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for f in string.gmatch(ARGV[4], '%S+') do redis.call('HDEL', KEYS[1], f) end
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'generation', 1) end
${auditPushLua(2, 1)}
return 1`;

// KEYS: user, set, audit. ARGV: name, added line, cap, changed line, cap, fields to delete
// (space-separated), number of profile pairs, profile pairs, then pairs set only on creation.
// A password account or a disabled one is left alone: the provider cannot take over or re-enable.
const UPSERT_OIDC = `
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists and redis.call('HGET', KEYS[1], 'source') ~= 'oidc' then return 'password' end
if exists and redis.call('HEXISTS', KEYS[1], 'disabledAt') == 1 then return 'disabled' end
local last = 8 + 2 * tonumber(ARGV[7])
local changed = false
for i = 8, last - 1, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = true
  end
end
for f in string.gmatch(ARGV[6], '%S+') do
  if redis.call('HDEL', KEYS[1], f) == 1 then changed = true end
end
if not exists then
  for i = last, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  redis.call('SADD', KEYS[2], ARGV[1])
  ${auditPushLua(3, 2)}
  return 'created'
end
if not changed then return 'same' end
${auditPushLua(3, 4)}
return 'updated'`;

/** What signing in through the provider did to the account, or why it left it alone. */
export type OidcUpsert = 'created' | 'updated' | 'same' | 'password' | 'disabled';

interface Change {
  set?: Record<string, string>;
  unset?: string[];
  /** Void the user's sessions and tokens. */
  signOut?: boolean;
}

export class UserStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(name: string): string {
    return `${this.prefix}:user:${name}`;
  }

  private get setKey(): string {
    return `${this.prefix}:users`;
  }

  /** Creates a user; throws USER_EXISTS when the name is taken. */
  async add(user: NewUser, passwordHash: string, by: string, at: string, mustChangePassword: boolean): Promise<UserInfo> {
    const fields: Record<string, string> = {
      name: user.name,
      displayName: user.displayName ?? user.name,
      role: user.role,
      ...(user.team ? { team: user.team } : {}),
      ...(user.officerId ? { officerId: user.officerId } : {}),
      createdAt: at,
      createdBy: by,
      passwordHash,
      passwordChangedAt: at,
      mustChangePassword: mustChangePassword ? '1' : '0',
      generation: '0',
    };
    const line: AuditLine = { at, by, action: 'user.added', subject: user.name, detail: { role: user.role } };
    const done = await this.redis.eval(ADD, 3, this.key(user.name), this.setKey, auditKey(this.prefix), user.name, JSON.stringify(line), MAX_AUDIT_LINES, ...Object.entries(fields).flat());
    if (done !== 1) throw new UserError('USER_EXISTS', `user ${user.name} already exists`);
    return toInfo(toRecord(fields)!);
  }

  /**
   * Creates or refreshes the account of a user the identity provider signed in (no password): its
   * role, team and officer id follow the provider's at every sign-in, and each change is audited.
   */
  async upsertOidc(p: OidcProfile, at: string): Promise<OidcUpsert> {
    const profile: Record<string, string> = { name: p.name, displayName: p.displayName, role: p.role, ...(p.team ? { team: p.team } : {}), ...(p.officerId ? { officerId: p.officerId } : {}) };
    const unset = ['team', 'officerId'].filter((f) => !(f in profile));
    const created: Record<string, string> = { source: 'oidc', createdAt: at, createdBy: OIDC_ACTOR, mustChangePassword: '0', generation: '0' };
    const { name: _name, displayName: _displayName, ...detail } = profile; // role, team, officer id
    const added: AuditLine = { at, by: OIDC_ACTOR, action: 'user.added', subject: p.name, detail: { ...detail, source: 'oidc', oidcSubject: p.subject } };
    const changed: AuditLine = { at, by: OIDC_ACTOR, action: 'user.oidc-changed', subject: p.name, detail };
    return (await this.redis.eval(
      UPSERT_OIDC, 3, this.key(p.name), this.setKey, auditKey(this.prefix),
      p.name, JSON.stringify(added), MAX_AUDIT_LINES, JSON.stringify(changed), MAX_AUDIT_LINES, unset.join(' '),
      Object.keys(profile).length, ...Object.entries(profile).flat(), ...Object.entries(created).flat(),
    )) as OidcUpsert;
  }

  async get(name: string): Promise<UserRecord | null> {
    if (!ID_PATTERN.test(name)) return null;
    return toRecord(await this.redis.hgetall(this.key(name)));
  }

  /** Every user, sorted by name. */
  async list(): Promise<UserInfo[]> {
    const names = (await this.redis.smembers(this.setKey)).sort();
    if (names.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const n of names) pipe.hgetall(this.key(n));
    return ((await pipe.exec()) ?? []).flatMap(([err, fields]) => {
      if (err) throw err;
      const r = toRecord(fields as Record<string, string>);
      return r ? [toInfo(r)] : [];
    });
  }

  /** A new password hash; signs the user out everywhere. */
  async setPassword(name: string, passwordHash: string, mustChangePassword: boolean, line: AuditLine): Promise<void> {
    await this.change(name, line, { set: { passwordHash, passwordChangedAt: line.at, mustChangePassword: mustChangePassword ? '1' : '0' }, signOut: true });
  }

  /** Disables a user (signed out everywhere, refused at sign-in) or enables them again. */
  async setDisabled(name: string, disabled: boolean, by: string, at: string): Promise<void> {
    const line: AuditLine = { at, by, action: disabled ? 'user.disabled' : 'user.enabled', subject: name };
    await this.change(name, line, disabled ? { set: { disabledAt: at }, signOut: true } : { unset: ['disabledAt'] });
  }

  private async change(name: string, line: AuditLine, c: Change): Promise<void> {
    const done = ID_PATTERN.test(name)
      ? await this.redis.eval(UPDATE, 2, this.key(name), auditKey(this.prefix), JSON.stringify(line), MAX_AUDIT_LINES, c.signOut ? '1' : '0', (c.unset ?? []).join(' '), ...Object.entries(c.set ?? {}).flat())
      : 0;
    if (done !== 1) throw userNotFound(name);
  }
}

function toRecord(f: Record<string, string>): UserRecord | null {
  const source = f.source === 'oidc' ? 'oidc' : 'password';
  if (!f.name || (source === 'password' && !f.passwordHash)) return null;
  return {
    name: f.name,
    displayName: f.displayName ?? f.name,
    role: f.role as Role,
    ...(f.team ? { team: f.team } : {}),
    ...(f.officerId ? { officerId: f.officerId } : {}),
    createdAt: f.createdAt,
    createdBy: f.createdBy,
    ...(f.disabledAt ? { disabledAt: f.disabledAt } : {}),
    source,
    ...(f.passwordChangedAt ? { passwordChangedAt: f.passwordChangedAt } : {}),
    mustChangePassword: f.mustChangePassword === '1',
    ...(f.passwordHash ? { passwordHash: f.passwordHash } : {}),
    generation: Number(f.generation ?? 0),
  };
}

/** The account without what sign-in checks. */
export function toInfo(r: UserRecord): UserInfo {
  const { passwordHash: _hash, generation: _generation, ...info } = r;
  return info;
}
