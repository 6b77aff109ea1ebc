/**
 * What the centre wants each box to run, in Redis: one JSON document per device,
 * `<prefix>:console:desired:<deviceId>`, holding every camera's zones sent so far (the retained
 * `config/desired` replaces the box's previous one, so it must carry all cameras, not just the
 * one edited last). Versions only grow: each write is compare-and-set on the document read.
 */
import { auditKey, auditPushLua, MAX_AUDIT_LINES, type AuditLine } from '../audit/audit-log.js';
import type { RedisClient } from '../../common/redis.js';
import { StreetWatchError } from '../../common/errors.js';
import type { DesiredConfig, ExemptPlate } from '../../contract/index.js';
import type { Settings, Zone } from '../http/zone-schema.js';

export type { DesiredConfig };

// Commits only if the document is still what was read ('' = absent).
// The change and its audit line (ARGV[3], none when '') in one step, so none goes unaudited.
const COMPARE_AND_SET_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then ${auditPushLua(2, 3)} end
return 1
`;

const MAX_ATTEMPTS = 20;

interface WriteOptions {
  by: string;
  nowIso: string;
  /** The version the box last reported: ours must be above it. */
  floorVersion: number;
}

/** What the centre's audit log says of a change (with `by`, the time and the new version added). */
type Audited = Pick<AuditLine, 'action' | 'subject' | 'detail'>;

export class DesiredConfigStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(deviceId: string): string {
    return `${this.prefix}:console:desired:${deviceId}`;
  }

  async get(deviceId: string): Promise<DesiredConfig | null> {
    const raw = await this.redis.get(this.key(deviceId));
    return raw ? (JSON.parse(raw) as DesiredConfig) : null;
  }

  /**
   * Replaces one camera's zones and bumps the version past both the stored one and `floorVersion`
   * (the version the box last reported): a box that already applied a higher version, e.g. after
   * Redis was reset, would otherwise ignore ours as old.
   */
  setCameraZones(deviceId: string, cameraId: string, zones: Zone[], opts: WriteOptions): Promise<DesiredConfig> {
    const audited = { action: 'zones.changed', subject: `${deviceId}/${cameraId}`, detail: { zones: zones.map((z) => z.id) } };
    return this.update(deviceId, opts, audited, (config) => {
      const cameras = config.cameras.filter((c) => c.id !== cameraId);
      cameras.push({ id: cameraId, zones });
      cameras.sort((a, b) => a.id.localeCompare(b.id));
      return { ...config, cameras };
    });
  }

  /** Merges box-wide settings (privacy, telemetry) into the desired config, zones kept. */
  setSettings(deviceId: string, settings: Settings, opts: WriteOptions): Promise<DesiredConfig> {
    return this.update(deviceId, opts, { action: 'settings.changed', subject: deviceId, detail: { settings } }, (config) => ({
      ...config,
      ...(settings.privacy ? { privacy: { ...config.privacy, ...settings.privacy } } : {}),
      ...(settings.telemetry ? { telemetry: { ...config.telemetry, ...settings.telemetry } } : {}),
    }));
  }

  /** Replaces the box's exempt plate list (the same for every box), zones and settings kept. */
  setExemptPlates(deviceId: string, plates: ExemptPlate[], opts: WriteOptions): Promise<DesiredConfig> {
    // The exempt plate store audits each plate change itself; sending the list to each box is not one.
    return this.update(deviceId, opts, null, (config) => ({ ...config, exemptPlates: plates }));
  }

  private async update(deviceId: string, opts: WriteOptions, audited: Audited | null, change: (config: DesiredConfig['config']) => DesiredConfig['config']): Promise<DesiredConfig> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = (await this.redis.get(this.key(deviceId))) ?? '';
      const cur = raw ? (JSON.parse(raw) as DesiredConfig) : null;
      const next: DesiredConfig = {
        version: Math.max(cur?.version ?? 0, opts.floorVersion) + 1,
        issuedAt: opts.nowIso,
        by: opts.by,
        config: change(cur?.config ?? { cameras: [] }),
      };
      const line: AuditLine | null = audited && { at: opts.nowIso, by: opts.by, ...audited, detail: { ...audited.detail, version: next.version } };
      const set = await this.redis.eval(COMPARE_AND_SET_LUA, 2, this.key(deviceId), auditKey(this.prefix), raw, JSON.stringify(next), line ? JSON.stringify(line) : '', MAX_AUDIT_LINES);
      if (set === 1) return next;
    }
    throw new StreetWatchError('DESIRED_CONFIG_CONFLICT', `desired config of ${deviceId} kept changing; try again`);
  }
}
