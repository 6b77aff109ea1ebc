/**
 * Who a broker login is: the centre's own account, or a device of the registry. Shared by the
 * embedded broker and the HTTP checks an external broker calls, so both let in the same accounts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Identity } from './acl.js';
import type { DeviceRegistry } from './device-registry.js';

export type Identify = (username: string | undefined, password: string | Buffer | undefined) => Promise<Identity | null>;

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();

/**
 * `center.password` absent: the centre's account is not ours to check (an external broker keeps
 * it), and a login with its name is never the centre.
 */
export function identifier(center: { username: string; password?: string }, registry: Pick<DeviceRegistry, 'verify'>): Identify {
  const centerDigest = center.password ? digest(center.password) : null;
  return async (username, password) => {
    if (username === center.username) {
      // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
      return centerDigest && password && timingSafeEqual(digest(password), centerDigest) ? { kind: 'center' } : null;
    }
    const device = await registry.verify(username, password);
    return device ? { kind: 'device', deviceId: device.deviceId } : null;
  };
}
