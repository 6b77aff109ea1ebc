/**
 * What the centre wants each box to run, in Redis: one JSON document per device,
 * `<prefix>:console:desired:<deviceId>`, holding every camera's zones sent so far (the retained
 * `config/desired` replaces the box's previous one, so it must carry all cameras, not just the
 * one edited last). Versions only grow: each write is compare-and-set on the document read.
 */
import type { Redis } from 'ioredis';
import { StreetWatchError } from '../../common/errors.js';
import type { DesiredConfig, ExemptPlate } from '../../contract/index.js';
import type { Settings, Zone } from '../http/zone-schema.js';

export type { DesiredConfig };

// Commits only if the document is still what was read ('' = absent).
const COMPARE_AND_SET_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

const MAX_ATTEMPTS = 20;

interface WriteOptions {
  by: string;
  nowIso: string;
  /** The version the box last reported: ours must be above it. */
  floorVersion: number;
}

export class DesiredConfigStore {
  constructor(
    private readonly redis: Redis,
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
    return this.update(deviceId, opts, (config) => {
      const cameras = config.cameras.filter((c) => c.id !== cameraId);
      cameras.push({ id: cameraId, zones });
      cameras.sort((a, b) => a.id.localeCompare(b.id));
      return { ...config, cameras };
    });
  }

  /** Merges box-wide settings (privacy, telemetry) into the desired config, zones kept. */
  setSettings(deviceId: string, settings: Settings, opts: WriteOptions): Promise<DesiredConfig> {
    return this.update(deviceId, opts, (config) => ({
      ...config,
      ...(settings.privacy ? { privacy: { ...config.privacy, ...settings.privacy } } : {}),
      ...(settings.telemetry ? { telemetry: { ...config.telemetry, ...settings.telemetry } } : {}),
    }));
  }

  /** Replaces the box's exempt plate list (the same for every box), zones and settings kept. */
  setExemptPlates(deviceId: string, plates: ExemptPlate[], opts: WriteOptions): Promise<DesiredConfig> {
    return this.update(deviceId, opts, (config) => ({ ...config, exemptPlates: plates }));
  }

  private async update(deviceId: string, opts: WriteOptions, change: (config: DesiredConfig['config']) => DesiredConfig['config']): Promise<DesiredConfig> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = (await this.redis.get(this.key(deviceId))) ?? '';
      const cur = raw ? (JSON.parse(raw) as DesiredConfig) : null;
      const next: DesiredConfig = {
        version: Math.max(cur?.version ?? 0, opts.floorVersion) + 1,
        issuedAt: opts.nowIso,
        by: opts.by,
        config: change(cur?.config ?? { cameras: [] }),
      };
      if ((await this.redis.eval(COMPARE_AND_SET_LUA, 1, this.key(deviceId), raw, JSON.stringify(next))) === 1) return next;
    }
    throw new StreetWatchError('DESIRED_CONFIG_CONFLICT', `desired config of ${deviceId} kept changing; try again`);
  }
}
