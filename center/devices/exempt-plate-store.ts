/**
 * Exempt plates kept by the centre, in Redis: one hash `<prefix>:exempt:plates` (normalised plate →
 * JSON entry) and an audit list `<prefix>:exempt:audit` (newest first, capped) saying who added or
 * removed which plate and when. Expired entries are dropped when the list is read, with an audit
 * line, so what the boxes are sent never carries a plate that no longer applies.
 */
import type { RedisClient } from '../../common/redis.js';
import { normalisePlateText } from '../../common/plate-normalise.js';
import type { ExemptPlate, ExemptPlateAuditLine, ExemptPlateEntry } from '../../contract/index.js';
import { auditKey, MAX_AUDIT_LINES as MAX_CENTRE_AUDIT_LINES, type AuditLine } from '../audit/audit-log.js';

/** Audit lines kept: enough for months of edits, bounded so the list never grows without end. */
export const MAX_AUDIT_LINES = 5_000;
/** Who the audit names when an entry ran out on its own. */
export const EXPIRY_ACTOR = 'expiry';

/** What a caller gives: the plate as typed, normalised here. */
export type ExemptPlateInput = Omit<ExemptPlate, 'plate'> & { plate: string };

// A change and its audit lines in one step, so no change is ever left unaudited (or audited twice
// when readers race to drop an expired entry): the exempt list's own (KEYS[2]) and the centre's
// (KEYS[3]). ARGV: plate, entry JSON ('' to delete), audit line when the plate was new (or,
// deleting, when it was there), audit line when it replaced one, cap, the centre's lines for the
// same two cases, its cap.
const CHANGE_LUA = `
local line
local centre
if ARGV[2] == '' then
  if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then line = ARGV[3]; centre = ARGV[6] end
else
  if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then line = ARGV[3]; centre = ARGV[6] else line = ARGV[4]; centre = ARGV[7] end
end
if not line then return 0 end
redis.call('LPUSH', KEYS[2], line)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('LPUSH', KEYS[3], centre)
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[8]) - 1)
return 1`;

/** The centre audit log's line for an exempt list change. */
const centreLine = (l: ExemptPlateAuditLine): AuditLine => ({
  at: l.at, by: l.by, action: `exempt-plate.${l.action}`, subject: l.plate,
  ...(l.expiresAt || l.reason ? { detail: { ...(l.expiresAt ? { expiresAt: l.expiresAt } : {}), ...(l.reason ? { reason: l.reason } : {}) } } : {}),
});

export class ExemptPlateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private get platesKey(): string {
    return `${this.prefix}:exempt:plates`;
  }

  private get auditKey(): string {
    return `${this.prefix}:exempt:audit`;
  }

  /** Every exempt plate still valid at `nowMs`, sorted by plate; expired ones are removed. */
  async list(nowMs: number): Promise<ExemptPlateEntry[]> {
    const all = Object.values(await this.redis.hgetall(this.platesKey)).map((raw) => JSON.parse(raw) as ExemptPlateEntry);
    const expired = all.filter((e) => e.expiresAt !== undefined && Date.parse(e.expiresAt) <= nowMs);
    const at = new Date(nowMs).toISOString();
    for (const e of expired) {
      await this.change(e.plate, '', { at, by: EXPIRY_ACTOR, action: 'expired', plate: e.plate });
    }
    return all.filter((e) => !expired.includes(e)).sort((a, b) => a.plate.localeCompare(b.plate));
  }

  /** Adds or replaces a plate (stored normalised); answers the stored entry. */
  async put(input: ExemptPlateInput, by: string, nowMs: number): Promise<ExemptPlateEntry> {
    const at = new Date(nowMs).toISOString();
    const entry: ExemptPlateEntry = { ...input, plate: normalisePlateText(input.plate), addedBy: by, addedAt: at };
    const line: ExemptPlateAuditLine = { at, by, action: 'added', plate: entry.plate, expiresAt: entry.expiresAt, reason: entry.reason };
    await this.change(entry.plate, JSON.stringify(entry), line, { ...line, action: 'updated' });
    return entry;
  }

  /** Removes a plate (given as typed); false when it was not on the list. */
  async remove(plate: string, by: string, nowMs: number): Promise<boolean> {
    const normalised = normalisePlateText(plate);
    return this.change(normalised, '', { at: new Date(nowMs).toISOString(), by, action: 'removed', plate: normalised });
  }

  /** The newest `limit` audit lines, newest first. */
  async auditTrail(limit: number): Promise<ExemptPlateAuditLine[]> {
    return (await this.redis.lrange(this.auditKey, 0, limit - 1)).map((raw) => JSON.parse(raw) as ExemptPlateAuditLine);
  }

  /** Sets (entry JSON) or deletes ('') a plate with its audit line; false when a delete found nothing. */
  private async change(plate: string, entry: string, line: ExemptPlateAuditLine, replacedLine = line): Promise<boolean> {
    const res = await this.redis.eval(
      CHANGE_LUA, 3, this.platesKey, this.auditKey, auditKey(this.prefix),
      plate, entry, JSON.stringify(line), JSON.stringify(replacedLine), MAX_AUDIT_LINES,
      JSON.stringify(centreLine(line)), JSON.stringify(centreLine(replacedLine)), MAX_CENTRE_AUDIT_LINES,
    );
    return res === 1;
  }
}
