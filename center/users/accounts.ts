/**
 * What an admin and a user may do with accounts, over the UserStore: passwords are checked
 * against the policy and hashed here, one-time passwords made here, and nothing returned carries a
 * hash. Every change names who made it (`by`) in the audit log.
 */
import type { RedisClient } from '../../common/redis.js';
import { appendAudit, OIDC_ACTOR } from '../audit/audit-log.js';
import { assertPasswordPolicy, checkPassword, hashPassword, oneTimePassword } from './password.js';
import { OidcRefusal, type OidcProfile } from './oidc-profile.js';
import type { NewUser, UserInfo, UserRecord } from './user.js';
import { toInfo, UserError, UserStore, userNotFound } from './user-store.js';

export interface CreatedUser {
  user: UserInfo;
  /** Set when the account was given a one-time password: shown once, never stored. */
  oneTimePassword?: string;
}

// Checked against when the name is unknown, so that a sign-in takes as long whether or not it is.
let decoy: Promise<string> | undefined;
const decoyHash = (): Promise<string> => (decoy ??= hashPassword(oneTimePassword()));

export class Accounts {
  readonly store: UserStore;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new UserStore(redis, prefix);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Creates a user with `password`, or with a one-time password they must change at first sign-in. */
  async create(user: NewUser, by: string, password?: string): Promise<CreatedUser> {
    if (password !== undefined) assertPasswordPolicy(user.name, password);
    const pw = password ?? oneTimePassword();
    const info = await this.store.add(user, await hashPassword(pw), by, this.iso(), password === undefined);
    return password === undefined ? { user: info, oneTimePassword: pw } : { user: info };
  }

  /** A one-time password replaces the user's (an admin's reset); they are signed out everywhere. */
  async reset(name: string, by: string): Promise<string> {
    await this.assertPasswordAccount(name);
    const pw = oneTimePassword();
    await this.store.setPassword(name, await hashPassword(pw), true, { at: this.iso(), by, action: 'user.password-reset', subject: name });
    return pw;
  }

  /** The user's own change: needs the current password; signs them out everywhere. */
  async changeOwn(name: string, current: string, next: string): Promise<void> {
    await this.assertPasswordAccount(name);
    const user = await this.verify(name, current);
    if (!user) throw new UserError('PASSWORD_WRONG', 'the current password is wrong');
    if (next === current) throw new UserError('PASSWORD_POLICY', 'the new password must differ from the current one');
    assertPasswordPolicy(name, next);
    await this.store.setPassword(name, await hashPassword(next), false, { at: this.iso(), by: name, action: 'user.password-changed', subject: name });
  }

  /**
   * The account of a user the identity provider signed in, created or brought up to date from its
   * claims; throws OidcRefusal when a password account has the name or an admin disabled it.
   */
  async signInOidc(profile: OidcProfile): Promise<UserRecord> {
    const done = await this.store.upsertOidc(profile, this.iso());
    if (done === 'password') throw new OidcRefusal('password_account', `${profile.name} is an account with a password here: it cannot sign in through the provider`, profile.name);
    if (done === 'disabled') throw new OidcRefusal('disabled', `${profile.name} is disabled here`, profile.name);
    const record = await this.store.get(profile.name);
    if (!record || record.disabledAt) throw new OidcRefusal('disabled', `${profile.name} was disabled or removed while signing in`, profile.name);
    return record;
  }

  /** Audits a sign-in the provider vouched for but the centre refused, so an admin can see why. */
  async auditOidcRefusal(name: string, reason: string, message: string): Promise<void> {
    await appendAudit(this.redis, this.prefix, { at: this.iso(), by: OIDC_ACTOR, action: 'user.oidc-refused', subject: name, detail: { reason, message } });
  }

  private async assertPasswordAccount(name: string): Promise<void> {
    const user = await this.store.get(name);
    if (user?.source === 'oidc') throw new UserError('OIDC_USER', `${name} signs in through the identity provider: there is no password here to change`);
  }

  async setDisabled(name: string, disabled: boolean, by: string): Promise<UserInfo> {
    await this.store.setDisabled(name, disabled, by, this.iso());
    return this.info(name);
  }

  async info(name: string): Promise<UserInfo> {
    const r = await this.store.get(name);
    if (!r) throw userNotFound(name);
    return toInfo(r);
  }

  /** The enabled user whose password this is, else null (unknown, disabled or wrong, alike). */
  async verify(name: string, password: string): Promise<UserRecord | null> {
    const user = await this.store.get(name);
    const ok = await checkPassword(password, user?.passwordHash ?? (await decoyHash()));
    return user && ok && !user.disabledAt ? user : null;
  }
}
