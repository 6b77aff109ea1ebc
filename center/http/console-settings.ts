/**
 * What the console needs from the centre config to draw its screens: the time zone times are
 * shown in, the SLA thresholds its lights count down to, cameras with their positions for the
 * plan, teams and their officers for filters and names, and what the officer app's report screen
 * offers (the types POST /api/reports takes, to the roles it lets report). No secrets: tokens and
 * webhooks stay out.
 */
import { violationType } from '../../contract/index.js';
import { REJECT_REASONS, UNABLE_REASONS } from '../../ticketing/work-order.js';
import type { ApiApp, ApiContext } from './context.js';
import { REPORTERS } from './reports.js';

export function consoleSettingsRoutes(app: ApiApp, ctx: ApiContext): void {
  const { timezone, sla, cameras, teams } = ctx.config;
  const settings = {
    timezone,
    sla: { targetMinutes: sla.targetMinutes, yellowAt: sla.yellowAt, redAt: sla.redAt },
    cameras: cameras.map((c) => ({ deviceId: c.deviceId, cameraId: c.cameraId, name: c.name ?? null, location: c.location, team: c.team ?? null })),
    teams: teams.map((t) => ({ id: t.id, name: t.name ?? null, officers: t.officers.map((o) => ({ id: o.id, name: o.name ?? null, onDuty: o.onDuty })) })),
    rejectReasons: REJECT_REASONS,
    unableReasons: UNABLE_REASONS,
    reportTypes: violationType.options,
    reporterRoles: REPORTERS,
  };
  app.get('/api/console/settings', {
    schema: {
      summary: 'What the console draws its screens with',
      description: 'Answers `{ timezone, sla: { targetMinutes, yellowAt, redAt }, cameras: [{ deviceId, cameraId, name, location: { lat, long, address? }, team }], teams: [{ id, name, officers: [{ id, name, onDuty }] }], rejectReasons, unableReasons, reportTypes, reporterRoles }`.',
      tags: ['console'],
    },
  }, async () => settings);
}
