/** Edge boxes: registry state plus their last status and telemetry. */
import type { ApiApp, ApiContext } from './context.js';

export function deviceRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/api/devices', {
    schema: {
      summary: 'Edge boxes with their last status, telemetry and model report',
      description: 'Answers `{ items, total }`, each item `{ deviceId, revokedAt, lastSeenAt, status, telemetry, model }`: the last Status, Telemetry and ModelReported messages as ingested (the MQTT contract, contract/asyncapi.yaml), null before the first.',
      tags: ['devices'],
    },
  }, async () => {
    const items = await ctx.deps.devices.list();
    return { items, total: items.length };
  });
}
