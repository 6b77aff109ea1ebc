/**
 * Salted scrypt hashes of secrets (device passwords, user passwords), stored as
 * `scrypt$N$r$p$<salt>$<key>` so the cost can be raised later without breaking stored hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** N=2^14, r=8, p=1: ~16 MiB and tens of ms per check. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;
// Room for a stored cost of up to 2^15 with r=8 (128·N·r = 32 MiB), which Node's default refuses.
const MAX_MEMORY = 64 * 1024 * 1024;

const scrypt = (secret: Buffer, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(secret, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

export async function hashSecret(secret: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = cost;
  const key = await scrypt(Buffer.from(secret, 'utf8'), salt, KEY_LENGTH, { N, r, p, maxmem: MAX_MEMORY });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `secret` is the one `stored` was made from; false for any other or a malformed hash. */
export async function checkSecret(secret: string | Buffer, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY,
  });
  return timingSafeEqual(key, expected);
}
