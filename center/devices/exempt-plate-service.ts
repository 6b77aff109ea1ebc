/**
 * The exempt plate list, centre side: kept in Redis (exempt-plate-store.ts) and, after every
 * change, sent to every registered, non-revoked box as a new desired config version carrying the
 * whole list, through the same path as zone edits (stored, published retained, consoles told).
 */
import type { RedisClient } from '../../common/redis.js';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { everyIntervalWithLease } from '../../ticketing/leased-interval.js';
import { exemptPlate, type ExemptPlate } from '../../contract/index.js';
import type { DeviceConfigService, DeviceSource, ExemptPlateService, SentConfig } from '../http/deps.js';
import type { DesiredConfigStore } from './desired-config-store.js';
import type { ExemptPlateStore } from './exempt-plate-store.js';

export interface ExemptPlateServiceDeps {
  store: ExemptPlateStore;
  devices: DeviceSource;
  deviceConfig: DeviceConfigService;
  /** Read alone by the catch-up: what a box last reported does not tell whether it lacks the list. */
  desired: Pick<DesiredConfigStore, 'get'>;
  now: () => number;
}

// The wire form drops who added the plate and when: the box needs neither.
const wirePlate = z.object(exemptPlate.shape);

/** Who the catch-up's config versions are recorded as sent by. */
export const CATCH_UP_BY = 'system:exempt-plates';

export function exemptPlateService(d: ExemptPlateServiceDeps): ExemptPlateService {
  /** Sends the current list to the active boxes `needs` picks (all by default). */
  const sendToBoxes = async (by: string, needs?: (deviceId: string, plates: ExemptPlate[]) => Promise<boolean>): Promise<SentConfig[]> => {
    const plates: ExemptPlate[] = (await d.store.list(d.now())).map((e) => wirePlate.parse(e));
    const active = (await d.devices.list()).filter((dev) => dev.revokedAt === null);
    const sent = await Promise.all(
      active.map(async ({ deviceId }) =>
        !needs || (await needs(deviceId, plates)) ? { deviceId, version: (await d.deviceConfig.setExemptPlates(deviceId, plates, by)).version } : null,
      ),
    );
    return sent.filter((s): s is SentConfig => s !== null);
  };

  /** A box registered after the last change, or one whose send was lost in a race, lacks the list. */
  const lacksList = async (deviceId: string, plates: ExemptPlate[]): Promise<boolean> => {
    const desired = await d.desired.get(deviceId);
    return JSON.stringify(desired?.config.exemptPlates ?? []) !== JSON.stringify(plates);
  };

  return {
    list: () => d.store.list(d.now()),
    async put(input, by) {
      const entry = await d.store.put(input, by, d.now());
      return { entry, sent: await sendToBoxes(by) };
    },
    async remove(plate, by) {
      if (!(await d.store.remove(plate, by, d.now()))) return null;
      return { sent: await sendToBoxes(by) };
    },
    audit: (limit) => d.store.auditTrail(limit),
    catchUp: () => sendToBoxes(CATCH_UP_BY, lacksList),
  };
}

/**
 * At start-up and every `intervalMs` (default 1 min), in one API process per round: boxes that
 * lack the current list get it.
 */
export function scheduleExemptPlateCatchUp(opts: { redis: RedisClient; prefix: string; exemptPlates: ExemptPlateService; intervalMs?: number; logger: Logger }): () => void {
  return everyIntervalWithLease({
    redis: opts.redis,
    leaseKey: `${opts.prefix}:exempt-plates:catch-up-lease`,
    intervalMs: opts.intervalMs ?? 60 * 1000,
    run: async () => {
      const sent = await opts.exemptPlates.catchUp();
      return sent.length ? { sent } : null;
    },
    what: 'exempt plates sent to boxes that lacked them',
    logger: opts.logger,
  });
}
