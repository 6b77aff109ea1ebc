/**
 * The exempt plate list, centre side: kept in Redis (exempt-plate-store.ts) and, after every
 * change, sent to every registered, non-revoked box as a new desired config version carrying the
 * whole list, through the same path as zone edits (stored, published retained, consoles told).
 */
import { z } from 'zod';
import { exemptPlate, type ExemptPlate } from '../../contract/index.js';
import type { DeviceConfigService, DeviceSource, ExemptPlateService, SentConfig } from '../http/deps.js';
import type { ExemptPlateStore } from './exempt-plate-store.js';

export interface ExemptPlateServiceDeps {
  store: ExemptPlateStore;
  devices: DeviceSource;
  deviceConfig: DeviceConfigService;
  now: () => number;
}

// The wire form drops who added the plate and when: the box needs neither.
const wirePlate = z.object(exemptPlate.shape);

export function exemptPlateService(d: ExemptPlateServiceDeps): ExemptPlateService {
  const sendToBoxes = async (by: string): Promise<SentConfig[]> => {
    const plates: ExemptPlate[] = (await d.store.list(d.now())).map((e) => wirePlate.parse(e));
    const active = (await d.devices.list()).filter((dev) => dev.revokedAt === null);
    return Promise.all(active.map(async ({ deviceId }) => ({ deviceId, version: (await d.deviceConfig.setExemptPlates(deviceId, plates, by)).version })));
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
  };
}
