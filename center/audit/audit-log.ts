/**
 * The centre's audit log of state changes other than work orders (which carry their own trail):
 * users, devices, zones, settings. One Redis list `<prefix>:audit`, newest first, capped. Stores
 * that change state in a script push their line in the same script (AUDIT_PUSH_LUA), so no change
 * is ever left unaudited.
 */
import type { RedisClient } from '../../common/redis.js';
import { z } from 'zod';

/** Enough for years of administration, bounded so the list never grows without end. */
export const MAX_AUDIT_LINES = 20_000;

export const auditLineSchema = z
  .object({
    at: z.string(),
    by: z.string().describe('The signed-in user who made the change (`cli` for the command line).'),
    action: z.string().describe('What was done, e.g. `user.disabled`, `zones.changed`.'),
    subject: z.string().describe('What it was done to: a user name, a device id, `<device>/<camera>`.'),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditLine' });
export type AuditLine = z.output<typeof auditLineSchema>;

/** Who the audit names for changes made with the `streetwatch` command line. */
export const CLI_ACTOR = 'cli';
/** Who the audit names for account changes the identity provider's claims made at sign-in. */
export const OIDC_ACTOR = 'oidc';

export const auditKey = (prefix: string): string => `${prefix}:audit`;

/** Lua: pushes ARGV[i] to KEYS[k] and trims it to ARGV[i+1] lines; splice into a store's script. */
export const auditPushLua = (k: number, i: number): string => `
redis.call('LPUSH', KEYS[${k}], ARGV[${i}])
redis.call('LTRIM', KEYS[${k}], 0, tonumber(ARGV[${i + 1}]) - 1)`;

export async function appendAudit(redis: RedisClient, prefix: string, line: AuditLine): Promise<void> {
  await redis.multi().lpush(auditKey(prefix), JSON.stringify(line)).ltrim(auditKey(prefix), 0, MAX_AUDIT_LINES - 1).exec();
}

/** The newest `limit` lines, newest first. */
export async function readAudit(redis: RedisClient, prefix: string, limit: number): Promise<AuditLine[]> {
  return (await redis.lrange(auditKey(prefix), 0, limit - 1)).map((raw) => JSON.parse(raw) as AuditLine);
}
