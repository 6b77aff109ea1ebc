/** A box's remote config: what the centre asked for and what the box answered; zone edits. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../contract/index.js';
import type { Role } from '../config.js';
import { userOf } from './auth.js';
import type { ApiContext } from './context.js';
import type { DeviceConfigService } from './deps.js';
import { notFound } from './errors.js';
import { parse } from './validate.js';
import { settingsBody, zonesBody } from './zone-schema.js';

/** Zones decide what becomes a work order: the people who review detections may change them. */
const ZONE_EDITORS: readonly Role[] = ['operator', 'admin'];

const idText = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
const deviceParam = z.object({ deviceId: idText });
const cameraParam = z.object({ deviceId: idText, cameraId: idText });

export function deviceConfigRoutes(app: FastifyInstance, ctx: ApiContext, service: DeviceConfigService): void {
  const assertKnown = async (deviceId: string): Promise<void> => {
    const devices = await ctx.deps.devices.list();
    if (!devices.some((d) => d.deviceId === deviceId)) throw notFound(`no device ${deviceId}`);
  };

  app.get('/api/devices/:deviceId/config', async (req) => {
    const { deviceId } = parse(deviceParam, req.params, 'params');
    await assertKnown(deviceId);
    return service.get(deviceId);
  });

  app.put('/api/devices/:deviceId/cameras/:cameraId/zones', async (req) => {
    const user = userOf(req, ZONE_EDITORS, 'changing zones');
    const { deviceId, cameraId } = parse(cameraParam, req.params, 'params');
    const { zones } = parse(zonesBody, req.body);
    await assertKnown(deviceId);
    return service.setCameraZones(deviceId, cameraId, zones, user.name);
  });

  // Privacy settings change what leaves the box: admins only.
  app.put('/api/devices/:deviceId/settings', async (req) => {
    const user = userOf(req, ['admin'], 'changing a box\'s settings');
    const { deviceId } = parse(deviceParam, req.params, 'params');
    const settings = parse(settingsBody, req.body);
    await assertKnown(deviceId);
    return service.setSettings(deviceId, settings, user.name);
  });
}
