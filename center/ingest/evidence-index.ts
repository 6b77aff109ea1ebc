/**
 * Which bytes arrived for which evidenceId: `<deviceId>/<evidenceId>` → sha256 of what the box
 * actually sent, so a later detection's EvidenceRef can be checked against it. Scoped by device:
 * one box cannot supply (or pre-empt) the photos of another.
 *
 * Kept for at least a day after it was last looked up: one Redis hash per UTC day
 * (`…:evidence:<day>`) that expires at the end of the following day, looked up in today's and
 * yesterday's hash (Redis 7.0 has no per-field TTL); a look-up carries an entry into today's.
 * First arrival wins, atomically across ingest instances, so a second, different upload under the
 * same id cannot replace the bytes a detection was checked against.
 */
import type { RedisClient } from '../../common/redis.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// KEYS: today, yesterday. ARGV: <deviceId>/<evidenceId>, sha256, expire-at (unix seconds).
// Returns the sha already recorded for the id, or nil when this call recorded it.
const RECORD_LUA = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if not prev then prev = redis.call('HGET', KEYS[2], ARGV[1]) end
if prev then return prev end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return false
`;

// KEYS: today, yesterday. ARGV: expire-at, then the fields. An entry found only in yesterday's hash
// is copied into today's: a long event keeps listing its photos, and so keeps them known.
const LOOKUP_LUA = `
local out = {}
for i = 2, #ARGV do
  local sha = redis.call('HGET', KEYS[1], ARGV[i])
  if not sha then
    sha = redis.call('HGET', KEYS[2], ARGV[i])
    if sha then
      redis.call('HSET', KEYS[1], ARGV[i], sha)
      redis.call('EXPIREAT', KEYS[1], ARGV[1])
    end
  end
  out[i - 1] = sha or ''
end
return out
`;

export class EvidenceIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(): { today: string; yesterday: string; expireAt: number } {
    const day = Math.floor(this.now() / DAY_MS);
    return {
      today: `${this.prefix}:ingest:evidence:${day}`,
      yesterday: `${this.prefix}:ingest:evidence:${day - 1}`,
      expireAt: Math.ceil(((day + 2) * DAY_MS) / 1000),
    };
  }

  /**
   * Records what arrived for `evidenceId`. Returns null when recorded (or the same sha was already
   * there: a redelivery), else the different sha recorded first (a conflict; nothing changed).
   */
  async record(deviceId: string, evidenceId: string, sha256: string): Promise<string | null> {
    const k = this.keys();
    const prev = (await this.redis.eval(RECORD_LUA, 2, k.today, k.yesterday, `${deviceId}/${evidenceId}`, sha256, k.expireAt)) as string | null;
    return prev === null || prev === sha256 ? null : prev;
  }

  /** The sha256 of the bytes that arrived for `evidenceId`, or null if none did (within the retention). */
  async lookup(deviceId: string, evidenceId: string): Promise<string | null> {
    return (await this.lookupMany(deviceId, [evidenceId]))[0];
  }

  /** `lookup` for several ids of one device in one round trip; each found entry is kept another day. */
  async lookupMany(deviceId: string, evidenceIds: readonly string[]): Promise<(string | null)[]> {
    if (!evidenceIds.length) return [];
    const k = this.keys();
    const res = (await this.redis.eval(LOOKUP_LUA, 2, k.today, k.yesterday, k.expireAt, ...evidenceIds.map((id) => `${deviceId}/${id}`))) as string[];
    return res.map((sha) => sha || null);
  }
}
