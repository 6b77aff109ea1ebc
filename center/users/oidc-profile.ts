/**
 * Pure: what the identity provider's claims make of a user here — their name, role (highest of
 * their mapped groups), team and officer id — or why they are refused. The refusal's code is what
 * the console shows a translation of; its message is for the log and the audit.
 */
import { StreetWatchError } from '../../common/errors.js';
import { ID_PATTERN } from '../../contract/index.js';
import { ROLE_RANK, type OidcConfig, type Role, type TeamConfig } from '../config.js';

export interface OidcProfile {
  /** The provider's stable id of the person (`sub`). */
  subject: string;
  name: string;
  displayName: string;
  role: Role;
  team?: string;
  officerId?: string;
}

/** Why a sign-in through the provider is refused; each code has a message in the console. */
export const OIDC_REFUSALS = ['state', 'provider', 'unavailable', 'bad_claims', 'no_role', 'no_officer_id', 'disabled', 'password_account'] as const;
export type OidcRefusalCode = (typeof OIDC_REFUSALS)[number];

export class OidcRefusal extends StreetWatchError {
  declare readonly code: OidcRefusalCode;

  constructor(
    code: OidcRefusalCode,
    message: string,
    /** The user name, when the provider told us who it was. */
    readonly user?: string,
  ) {
    super(code, message);
  }
}

type Claims = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** A claim of groups as a list: providers send an array, some a single string. */
function groupsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

/** The user name the claims give, or a refusal naming the claim and what is wrong with it. */
export function userNameOf(claims: Claims, cfg: Pick<OidcConfig, 'usernameClaim' | 'stripDomain'>): string {
  const raw = text(claims[cfg.usernameClaim]);
  if (!raw) throw new OidcRefusal('bad_claims', `the provider sent no ${cfg.usernameClaim} claim: set usernameClaim to the claim holding the user name`);
  const name = cfg.stripDomain ? raw.replace(/@[^@]*$/, '') : raw;
  if (!ID_PATTERN.test(name)) {
    const hint = !cfg.stripDomain && name.includes('@') ? ' (an e-mail address: set stripDomain, or pick another usernameClaim)' : '';
    throw new OidcRefusal('bad_claims', `${cfg.usernameClaim} "${name.slice(0, 64)}" is not a user name here: letters, digits, _ . - only, 1-64 characters${hint}`);
  }
  return name;
}

/** The highest role among the user's mapped groups, or null when no group of theirs is mapped. */
export function roleOf(groups: readonly string[], roles: OidcConfig['roles']): Role | null {
  let best: Role | null = null;
  for (const g of groups) {
    const r = Object.hasOwn(roles, g) ? roles[g] : undefined;
    if (r && (best === null || ROLE_RANK.indexOf(r) > ROLE_RANK.indexOf(best))) best = r;
  }
  return best;
}

/** The team from the team claim, else the first `teams` mapping entry the user's groups hold. */
function teamOf(claims: Claims, groups: readonly string[], cfg: OidcConfig, teams: readonly TeamConfig[], user: string): string | undefined {
  const claimed = cfg.teamClaim ? text(claims[cfg.teamClaim]) : undefined;
  if (claimed !== undefined && !teams.some((t) => t.id === claimed)) {
    throw new OidcRefusal('bad_claims', `${cfg.teamClaim} "${claimed.slice(0, 64)}" is not a team of the config`, user);
  }
  return claimed ?? Object.entries(cfg.teams).find(([g]) => groups.includes(g))?.[1];
}

/** What the claims (ID token and userinfo, merged) make of the user; throws OidcRefusal. */
export function oidcProfile(claims: Claims, cfg: OidcConfig, teams: readonly TeamConfig[]): OidcProfile {
  const subject = text(claims.sub);
  if (!subject) throw new OidcRefusal('bad_claims', 'the provider sent no sub claim');
  const name = userNameOf(claims, cfg);
  const groups = groupsOf(claims[cfg.groupsClaim]);
  const role = roleOf(groups, cfg.roles);
  if (!role) {
    const seen = groups.length ? `groups ${groups.slice(0, 20).join(', ')}` : `no ${cfg.groupsClaim} claim`;
    throw new OidcRefusal('no_role', `${name} is in no group mapped to a role (the provider sent ${seen})`, name);
  }
  let officerId: string | undefined;
  if (role === 'officer') {
    officerId = cfg.officerIdClaim ? text(claims[cfg.officerIdClaim]) : undefined;
    if (!officerId) throw new OidcRefusal('no_officer_id', `${name} is an officer, but ${cfg.officerIdClaim ? `the provider sent no ${cfg.officerIdClaim} claim` : 'officerIdClaim is not set'}`, name);
    if (!teams.some((t) => t.officers.some((o) => o.id === officerId))) {
      throw new OidcRefusal('no_officer_id', `${name}'s ${cfg.officerIdClaim} "${officerId.slice(0, 64)}" is no officer in any team's officers`, name);
    }
  }
  const team = teamOf(claims, groups, cfg, teams, name);
  return {
    subject,
    name,
    displayName: text(claims[cfg.displayNameClaim])?.slice(0, 100) ?? name,
    role,
    ...(team ? { team } : {}),
    ...(officerId ? { officerId } : {}),
  };
}
