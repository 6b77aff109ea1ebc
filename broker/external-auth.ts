/**
 * Device login and topic access for an external broker (EMQX, Mosquitto with an HTTP auth plugin),
 * decided as the embedded broker decides them: the same login check (identify.ts), ACL (acl.ts)
 * and client-id rules (session-owners.ts), over the device registry. Nothing is cached here: the
 * registry is read on every call, so a revoked device is refused on its next connect, and its next
 * publish or subscribe once the broker's own ACL cache lets go.
 */
import { mayAccess, type Access, type Identity } from './acl.js';
import type { DeviceRegistry } from './device-registry.js';
import { identifier } from './identify.js';
import { reservedClientId, type SessionOwners } from './session-owners.js';

/**
 * `unknown`: neither the centre's account nor a device of the registry, or the centre's account
 * when its password is not ours to check; the broker may ask another source.
 */
export interface Verdict {
  result: 'allow' | 'deny' | 'unknown';
  /** Why not, for the broker's logs and ours. */
  reason?: string;
}

export interface ExternalAuthOptions {
  registry: Pick<DeviceRegistry, 'verify' | 'get'>;
  /** Client ids the embedded broker recorded as one identity's (checked, never recorded here). */
  owners: Pick<SessionOwners, 'claim'>;
  /** The centre's own account; without a password the broker authenticates it itself. */
  center: { username: string; password?: string };
  rootTopic: string;
}

/**
 * Mosquitto's access values (MOSQ_ACL_*) as the plugins pass them: read (a message delivered),
 * write (publish), read and write, subscribe, unsubscribe (always allowed: it only gives up access).
 */
export const MOSQUITTO_ACCESS: Readonly<Record<number, readonly Access[]>> = {
  1: ['receive'],
  2: ['publish'],
  3: ['receive', 'publish'],
  4: ['subscribe'],
  8: [],
};

/** EMQX 5's `${action}` in an authorization request. */
export const EMQX_ACCESS: Readonly<Record<string, readonly Access[]>> = {
  publish: ['publish'],
  subscribe: ['subscribe'],
};

const ALLOW: Verdict = { result: 'allow' };

export class ExternalAuth {
  private readonly identify;

  constructor(private readonly opts: ExternalAuthOptions) {
    this.identify = identifier(opts.center, opts.registry);
  }

  /** A CONNECT: the credentials, and the client id unless the broker does not pass one (empty). */
  async login(username: string, password: string, clientId: string): Promise<Verdict> {
    const identity = await this.identify(username, password);
    if (!identity) {
      if (username === this.opts.center.username && !this.opts.center.password) return { result: 'unknown', reason: "the centre's account is the broker's to check" };
      const known = username === this.opts.center.username || (await this.opts.registry.get(username)) !== null;
      return { result: known ? 'deny' : 'unknown', reason: known ? 'bad password, or the device is revoked' : 'no such account' };
    }
    if (!clientId) return ALLOW;
    const reserved = reservedClientId(identity, clientId);
    if (reserved) return { result: 'deny', reason: `client id ${clientId} refused: ${reserved}` };
    if (!(await this.opts.owners.claim(clientId, identity, false))) return { result: 'deny', reason: `client id ${clientId} belongs to another identity` };
    return ALLOW;
  }

  /** Whether the client logged in as `username` may do every one of `accesses` on `topic`. */
  async access(username: string, accesses: readonly Access[], topic: string): Promise<Verdict> {
    let identity: Identity;
    if (username === this.opts.center.username) {
      identity = { kind: 'center' };
    } else {
      const device = await this.opts.registry.get(username);
      if (!device) return { result: 'unknown', reason: 'no such account' };
      if (device.revokedAt) return { result: 'deny', reason: `device revoked at ${device.revokedAt}` };
      identity = { kind: 'device', deviceId: device.deviceId };
    }
    const refused = accesses.find((a) => !mayAccess(identity, a, topic, this.opts.rootTopic));
    return refused ? { result: 'deny', reason: `${refused} on ${topic.slice(0, 200)} not allowed` } : ALLOW;
  }
}
