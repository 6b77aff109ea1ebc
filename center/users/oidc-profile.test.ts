/** Pure: the provider's claims → a user here (name, highest role, team, officer id) or a refusal naming why. */
import { describe, expect, it } from 'vitest';
import { oidcSchema, role, ROLE_RANK } from '../config.js';
import { oidcProfile, roleOf, userNameOf } from './oidc-profile.js';

const TEAMS = [
  { id: 'north', officers: [{ id: 'o-north', onDuty: true }] },
  { id: 'south', officers: [] },
];
const cfg = (extra: object = {}) => oidcSchema.parse({
  issuer: 'https://sso.city.example/realms/city', clientId: 'sw', clientSecret: 's',
  roles: { admins: 'admin', ops: 'operator', officers: 'officer', graf: 'metrics', bosses: 'supervisor' },
  ...extra,
});
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('not refused');
};

describe('roleOf', () => {
  it('gives the highest role of the mapped groups, whatever their order', () => {
    const roles = cfg().roles;
    expect(roleOf(['ops', 'admins'], roles)).toBe('admin');
    expect(roleOf(['admins', 'ops'], roles)).toBe('admin');
    expect(roleOf(['graf', 'officers'], roles)).toBe('officer');
    expect(roleOf(['officers', 'ops'], roles)).toBe('operator');
    expect(roleOf(['ops', 'bosses', 'graf'], roles)).toBe('supervisor');
    expect(roleOf(['visitors'], roles)).toBeNull();
    expect(roleOf(['constructor', '__proto__', 'toString'], roles)).toBeNull();
  });

  it('ranks every role', () => {
    expect([...ROLE_RANK].sort()).toEqual([...role.options].sort());
  });
});

describe('userNameOf', () => {
  it('takes the configured claim, and the part before @ only when asked', () => {
    expect(userNameOf({ preferred_username: 'jane.doe' }, cfg())).toBe('jane.doe');
    expect(userNameOf({ upn: 'jane@city.gov' }, cfg({ usernameClaim: 'upn', stripDomain: true }))).toBe('jane');
    expect(refusal(() => userNameOf({ preferred_username: 'jane@city.gov' }, cfg()))).toEqual({
      code: 'bad_claims', message: 'preferred_username "jane@city.gov" is not a user name here: letters, digits, _ . - only, 1-64 characters (an e-mail address: set stripDomain, or pick another usernameClaim)',
    });
    expect(refusal(() => userNameOf({ email: 'x@y' }, cfg()))).toMatchObject({ code: 'bad_claims', message: expect.stringContaining('no preferred_username claim') });
    expect(refusal(() => userNameOf({ preferred_username: '..' }, cfg())).code).toBe('bad_claims');
  });
});

describe('oidcProfile', () => {
  it('maps name, display name, role and team (the claim first, else the first group of `teams` the user is in)', () => {
    const c = cfg({ teamClaim: 'team', teams: { 'crew-s': 'south', 'crew-n': 'north' } });
    expect(oidcProfile({ sub: 's1', preferred_username: 'ann', name: 'Ann A', groups: ['crew-n', 'crew-s', 'ops'] }, c, TEAMS))
      .toEqual({ subject: 's1', name: 'ann', displayName: 'Ann A', role: 'operator', team: 'south' });
    expect(oidcProfile({ sub: 's1', preferred_username: 'ann', team: 'south', groups: ['crew-n', 'ops'] }, c, TEAMS))
      .toEqual({ subject: 's1', name: 'ann', displayName: 'ann', role: 'operator', team: 'south' });
    expect(refusal(() => oidcProfile({ sub: 's1', preferred_username: 'ann', team: 'east', groups: ['ops'] }, c, TEAMS)))
      .toEqual({ code: 'bad_claims', message: 'team "east" is not a team of the config' });
  });

  it('takes a single group given as a string, and refuses a user in no mapped group saying what was sent', () => {
    expect(oidcProfile({ sub: 's', preferred_username: 'g', groups: 'admins' }, cfg(), TEAMS).role).toBe('admin');
    expect(refusal(() => oidcProfile({ sub: 's', preferred_username: 'g', groups: ['a', 'b'] }, cfg(), TEAMS)))
      .toEqual({ code: 'no_role', message: 'g is in no group mapped to a role (the provider sent groups a, b)' });
    expect(refusal(() => oidcProfile({ sub: 's', preferred_username: 'g', roles: ['admins'] }, cfg(), TEAMS)))
      .toEqual({ code: 'no_role', message: 'g is in no group mapped to a role (the provider sent no groups claim)' });
    expect(oidcProfile({ sub: 's', preferred_username: 'g', roles: ['admins'] }, cfg({ groupsClaim: 'roles' }), TEAMS).role).toBe('admin');
    expect(refusal(() => oidcProfile({ preferred_username: 'g', groups: ['admins'] }, cfg(), TEAMS)).code).toBe('bad_claims');
  });

  it('needs an officer\'s id from the configured claim, on a roster', () => {
    const c = cfg({ officerIdClaim: 'badge' });
    expect(oidcProfile({ sub: 's', preferred_username: 'o', groups: ['officers'], badge: 'o-north' }, c, TEAMS)).toMatchObject({ role: 'officer', officerId: 'o-north' });
    expect(refusal(() => oidcProfile({ sub: 's', preferred_username: 'o', groups: ['officers'] }, c, TEAMS)))
      .toEqual({ code: 'no_officer_id', message: 'o is an officer, but the provider sent no badge claim' });
    expect(refusal(() => oidcProfile({ sub: 's', preferred_username: 'o', groups: ['officers'] }, cfg(), TEAMS)))
      .toEqual({ code: 'no_officer_id', message: 'o is an officer, but officerIdClaim is not set' });
    expect(refusal(() => oidcProfile({ sub: 's', preferred_username: 'o', groups: ['officers'], badge: 'o-x' }, c, TEAMS)).message)
      .toBe("o's badge \"o-x\" is no officer in any team's officers");
    // A higher role needs no officer id; the claim is not kept then.
    expect(oidcProfile({ sub: 's', preferred_username: 'o', groups: ['officers', 'ops'], badge: 'o-north' }, c, TEAMS).officerId).toBeUndefined();
  });
});
