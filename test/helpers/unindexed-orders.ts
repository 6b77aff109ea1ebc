/** Report orders as an older version left them: in Redis, but not yet in the place and reporter indexes. */
import type { Redis } from 'ioredis';
import { ulid } from 'ulid';
import type { Report } from '../../contract/index.js';
import type { OpenReportInput } from '../../ticketing/store-types.js';

/** A report of illegal parking at `location` (a signed-in `user`'s, or an Open311 app's), received at `at`. */
export function reportInput(location: { lat: number; long: number }, opts: { user?: string; at: string }): OpenReportInput {
  const { user, at } = opts;
  const report: Report = { id: ulid(), source: user ? 'inspector' : 'open311', ...(user ? { user } : { clientId: 'app' }), description: '', location, receivedAt: at, evidenceIds: [] };
  return { report, type: 'illegal_parking', evidence: [], team: 'north', assignee: null, confirmed: true, deadlineAt: at, near: { radiusMeters: 50, windowMs: 3_600_000 }, nowIso: at };
}

/** Takes the illegal-parking orders (and `reporters`' lists) out of the indexes, as written before those existed. */
export async function dropIndexes(redis: Redis, prefix: string, reporters: readonly string[] = []): Promise<void> {
  await redis.del(`${prefix}:wo-geo:near/illegal_parking`, `${prefix}:wo-geo:reported/illegal_parking`, ...reporters.map((r) => `${prefix}:wo-idx:reporter:${r}`));
}
