/** A box's remote config: what the centre asked for and what the box answered; zone edits. */
import { z } from 'zod';
import { ID_PATTERN } from '../../contract/index.js';
import type { Role } from '../config.js';
import { requireRole, signedIn } from './auth.js';
import type { ApiApp, ApiContext } from './context.js';
import type { DeviceConfigService } from './deps.js';
import { notFound } from './errors.js';
import { settingsBody, zonesBody } from './zone-schema.js';

/** Zones decide what becomes a work order: the people who review detections may change them. */
const ZONE_EDITORS: readonly Role[] = ['operator', 'supervisor', 'admin'];

const idText = z.string().regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 _ . -');
const deviceParam = z.object({ deviceId: idText });
const cameraParam = z.object({ deviceId: idText, cameraId: idText });
const DESIRED = 'Answers the desired config now sent to the box, retained: `{ version, issuedAt, by, config: { cameras: [{ id, zones }], privacy?, telemetry? } }`.';

export function deviceConfigRoutes(app: ApiApp, ctx: ApiContext, service: DeviceConfigService): void {
  const assertKnown = async (deviceId: string): Promise<void> => {
    const devices = await ctx.deps.devices.list();
    if (!devices.some((d) => d.deviceId === deviceId)) throw notFound(`no device ${deviceId}`);
  };

  app.get('/api/devices/:deviceId/config', {
    schema: {
      summary: 'A box\'s remote config: what the centre sent, what the box answered',
      description: 'Answers `{ desired, reported }`: the last desired config (null before the first edit) and the box\'s last ConfigReported message with `receivedAt` (null before the first).',
      tags: ['devices'],
      params: deviceParam,
    },
  }, async (req) => {
    const { deviceId } = req.params;
    await assertKnown(deviceId);
    return service.get(deviceId);
  });

  app.put('/api/devices/:deviceId/cameras/:cameraId/zones', {
    preValidation: requireRole(ZONE_EDITORS, 'changing zones'),
    schema: { summary: 'Replace one camera\'s zones', description: `Operators and admins. ${DESIRED}`, tags: ['devices'], params: cameraParam, body: zonesBody },
  }, async (req) => {
    const { deviceId, cameraId } = req.params;
    await assertKnown(deviceId);
    return service.setCameraZones(deviceId, cameraId, req.body.zones, signedIn(req).name);
  });

  // Privacy settings change what leaves the box: admins only.
  app.put('/api/devices/:deviceId/settings', {
    preValidation: requireRole(['admin'], 'changing a box\'s settings'),
    schema: { summary: 'Change a box\'s privacy and telemetry settings', description: `Admins. ${DESIRED}`, tags: ['devices'], params: deviceParam, body: settingsBody },
  }, async (req) => {
    const { deviceId } = req.params;
    await assertKnown(deviceId);
    return service.setSettings(deviceId, req.body, signedIn(req).name);
  });
}
