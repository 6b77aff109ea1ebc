/** Users' passwords: how they are hashed, what a new one must be, and one-time passwords. */
import { randomBytes } from 'node:crypto';
import { StreetWatchError } from '../../common/errors.js';
import { checkSecret, hashSecret, type ScryptCost } from '../../common/secret-hash.js';

/** 2^15·8·128 = 32 MiB per check: people pick weaker secrets than the devices' random ones. */
export const PASSWORD_COST: ScryptCost = { N: 32768, r: 8, p: 1 };
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

export class PasswordPolicyError extends StreetWatchError {
  constructor(message: string) {
    super('PASSWORD_POLICY', message);
  }
}

export const hashPassword = (password: string): Promise<string> => hashSecret(password, PASSWORD_COST);
export const checkPassword = (password: string, stored: string): Promise<boolean> => checkSecret(password, stored);

/** Throws PasswordPolicyError saying what is wrong with `password` for user `name`. */
export function assertPasswordPolicy(name: string, password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new PasswordPolicyError(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new PasswordPolicyError(`a password may have at most ${MAX_PASSWORD_LENGTH} characters`);
  if (password.toLowerCase().includes(name.toLowerCase())) throw new PasswordPolicyError('a password may not contain the user name');
}

/** 144 random bits, typed once by the user and then replaced. */
export const oneTimePassword = (): string => randomBytes(18).toString('base64url');
