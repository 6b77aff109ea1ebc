/** Tests only: a config with one user per role, fake side deps, and buildApi around the Redis store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { DeadLetter, DeviceListItem } from '../../contract/index.js';
import { centerConfigSchema, type CenterConfig } from '../config.js';
import { EvidenceStore } from '../../ticketing/evidence-store.js';
import { maskPlate } from '../../ticketing/plate-mask.js';
import type { WorkOrderStore } from '../../ticketing/store-types.js';
import type { ApiDeps } from './deps.js';
import { buildApi } from './server.js';
import { userServices } from '../users/services.js';
import { redisStore, storeActions } from './test-store.js';

export const TOKENS = {
  operator: 'op-token-0123456789abcdef',
  officer: 'officer-token-0123456789',
  southOfficer: 'south-officer-token-0123',
  admin: 'admin-token-0123456789abc',
} as const;

export const auth = (who: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[who]}` });

/** The `http` section as a config file gives it (defaults filled in by the schema). */
export type TestHttp = NonNullable<z.input<typeof centerConfigSchema>['http']>;

/** Other sections of the config, as a file gives them. */
export type TestConfigExtra = Partial<Omit<z.input<typeof centerConfigSchema>, 'http'>>;

export function testConfig(http: TestHttp = {}, extra: TestConfigExtra = {}): CenterConfig {
  return centerConfigSchema.parse({
    teams: [
      { id: 'north', officers: [{ id: 'o-north' }, { id: 'o-north-2' }] },
      { id: 'south', officers: [{ id: 'o-south' }] },
    ],
    defaultTeam: 'north',
    users: [
      { name: 'olga', role: 'operator', token: TOKENS.operator },
      { name: 'nick', role: 'officer', token: TOKENS.officer, officerId: 'o-north' },
      { name: 'sam', role: 'officer', token: TOKENS.southOfficer, officerId: 'o-south' },
      { name: 'ada', role: 'admin', token: TOKENS.admin },
    ],
    http: { linkSecret: 'test-link-secret-123', linkTtlMinutes: 60, ...http },
    ...extra,
  });
}

export const DEVICES: DeviceListItem[] = [{
  deviceId: 'box-1', revokedAt: null, lastSeenAt: '2026-11-26T08:00:00.000Z', status: { v: 1, deviceId: 'box-1', state: 'online', at: '2026-11-26T08:00:00.000Z' }, telemetry: null,
}];

export const DEAD_LETTERS: DeadLetter[] = [{
  id: '01JD0000000000000000000000', at: '2026-11-26T08:00:00.000Z', topic: 'bad/topic', code: 'unknown_topic', reason: 'no such topic', bytes: 2, payloadBase64: 'e30=', truncated: false,
}];

/** `close` closes the app and drops the keys of its own prefix (users, sessions; the store's unless one was passed in). */
/** `deps` may be made from the app's own Redis and prefix, so that stores share its audit log. */
export function testApi(opts: { store?: WorkOrderStore; deps?: Partial<ApiDeps> | ((own: { redis: Redis; prefix: string }) => Partial<ApiDeps>); http?: TestHttp; config?: TestConfigExtra } = {}) {
  const own = redisStore();
  const store = opts.store ?? own.store;
  const config = testConfig(opts.http, opts.config);
  const extra = typeof opts.deps === 'function' ? opts.deps(own) : opts.deps;
  const evidenceDir = mkdtempSync(join(tmpdir(), 'sw-api-evidence-'));
  const deps: ApiDeps = {
    store,
    actions: storeActions(store),
    deadLetters: { list: async (p) => ({ items: DEAD_LETTERS.slice(p.offset, p.offset + p.limit), total: DEAD_LETTERS.length }), count: async () => DEAD_LETTERS.length },
    devices: { list: async () => DEVICES },
    evidence: new EvidenceStore(evidenceDir),
    kpis: async () => ({ withinSla: 0.9 }),
    metrics: () => '# TYPE streetwatch_orders_open gauge\nstreetwatch_orders_open 3\n',
    health: async () => ({ ok: true, checks: { redis: true, mqtt: true } }),
    maskPlate,
    users: userServices(own.redis, own.prefix, config.http, () => (extra?.now ?? Date.now)()),
    rateLimitStore: { redis: own.redis, prefix: own.prefix },
    ...extra,
  };
  const app = buildApi(deps, config);
  return {
    app,
    store,
    deps,
    users: deps.users,
    /** The connection and prefix of the users, sessions and tokens. */
    redis: own.redis,
    prefix: own.prefix,
    async close() {
      await app.close();
      await own.close();
      rmSync(evidenceDir, { recursive: true, force: true });
    },
  };
}
