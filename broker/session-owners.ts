/**
 * Which identity a persistent MQTT session (client id) belongs to.
 *
 * MQTT lets a new connection with the same client id take over the old one's session. Without an
 * owner, any device could kick the centre's ingest off by reusing its client id, and with
 * `clean: false` inherit its queued messages. The first identity to open a persistent session
 * under a client id owns it; others are refused that id. Clean sessions are checked but not
 * recorded, so random client ids do not pile up.
 */
import { CENTER_CLIENT_ID_PREFIXES, edgeClientId } from '../contract/index.js';
import type { PersistenceRedis } from './redis-persistence.js';
import type { Identity } from './acl.js';

const CLAIM = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cur end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return ARGV[2]`;

/** Stored in Redis: the centre's value keeps the spelling earlier versions recorded, so their claims still match. */
export const ownerOf = (identity: Identity): string => (identity.kind === 'center' ? 'centre' : `device:${identity.deviceId}`);

const EDGE_CLIENT_ID_PREFIX = edgeClientId('');

/**
 * Why a device may never use `clientId`, or null: the ids of the centre's own connections, and the
 * id another box connects with. Needed where claims cannot be recorded (an external broker does not
 * say whether a session is persistent), so that a device cannot squat on ids before their owners
 * connect.
 */
export function reservedClientId(identity: Identity, clientId: string): string | null {
  if (identity.kind === 'center') return null;
  if (CENTER_CLIENT_ID_PREFIXES.some((p) => clientId.startsWith(p))) return "it is one of the centre's client ids";
  if (clientId.startsWith(EDGE_CLIENT_ID_PREFIX) && clientId !== edgeClientId(identity.deviceId)) return "it is another box's client id";
  return null;
}

export class SessionOwners {
  /** `key` is relative to the connection's key prefix. */
  constructor(
    private readonly redis: Pick<PersistenceRedis, 'eval'>,
    private readonly key = 'owners',
  ) {}

  /**
   * True when `identity` may use `clientId`: nobody owns it yet or it does. A persistent session
   * (`persistent`) records the claim.
   */
  async claim(clientId: string, identity: Identity, persistent: boolean): Promise<boolean> {
    const owner = ownerOf(identity);
    const current = await this.redis.eval(CLAIM, 1, this.key, clientId, owner, persistent ? '1' : '0');
    return current === owner;
  }
}
