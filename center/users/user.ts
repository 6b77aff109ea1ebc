/** A user account kept by the centre, as the API, the console and the CLI see it (never its password hash). */
import { z } from 'zod';
import { ID_PATTERN } from '../../contract/index.js';
import { role } from '../config.js';

const id = z.string().regex(ID_PATTERN, 'may use letters, digits, _ . - only (1-64 characters)');

/** What an admin gives to create a user. */
export const newUserSchema = z
  .object({
    name: id.describe('Sign-in name, shown in audit trails; cannot be changed.'),
    displayName: z.string().trim().min(1, 'is required').max(100).optional().describe('What the console shows; the name when absent.'),
    role,
    team: id.optional().describe('The team the user belongs to.'),
    officerId: id.optional().describe('Officers: their id in `teams[].officers`.'),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'officer' && !u.officerId) ctx.addIssue({ code: 'custom', path: ['officerId'], message: 'an officer needs officerId' });
  });
export type NewUser = z.output<typeof newUserSchema>;

/** Where the account signs in: its own password, or the city's identity provider (no password kept). */
export const accountSource = z.enum(['password', 'oidc']).describe('`password`: signs in with a password kept here; `oidc`: with the identity provider only.');

export const userInfoSchema = z
  .object({
    name: z.string(),
    displayName: z.string(),
    role,
    team: z.string().optional(),
    officerId: z.string().optional(),
    createdAt: z.string(),
    createdBy: z.string(),
    disabledAt: z.string().optional(),
    source: accountSource,
    passwordChangedAt: z.string().optional().describe('Password accounts only.'),
    mustChangePassword: z.boolean().describe('Signed in with a one-time password that has not been changed yet.'),
  })
  .meta({ id: 'UserAccount' });
export type UserInfo = z.output<typeof userInfoSchema>;

/** A stored user with what sign-in checks. */
export interface UserRecord extends UserInfo {
  /** Password accounts only. */
  passwordHash?: string;
  /** Raised by every password change and disable: sessions and tokens of an older generation are void. */
  generation: number;
}
