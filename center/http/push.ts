/**
 * Web Push subscriptions of the officer app: the centre's public VAPID key, and a browser of the
 * signed-in officer subscribing or unsubscribing. The notices themselves go out with dispatch
 * (ticketing/dispatcher.ts).
 */
import { z } from 'zod';
import { pushSubscription } from '../../ticketing/web-push.js';
import { signedIn } from './auth.js';
import type { ApiApp } from './context.js';
import type { ApiUser, PushService } from './deps.js';
import { forbidden, notFound } from './errors.js';

const officerOf = (user: ApiUser): string => {
  if (!user.officerId) throw forbidden(`push notices are for officers: ${user.name} has no officer id`);
  return user.officerId;
};

export function pushRoutes(app: ApiApp, push: PushService): void {
  app.get('/api/push/key', {
    schema: { summary: 'The centre\'s public VAPID key, for subscribing to Web Push', tags: ['console'], response: { 200: z.object({ publicKey: z.string() }) } },
  }, async () => ({ publicKey: (await push.keys()).publicKey }));

  app.post('/api/push/subscriptions', {
    schema: {
      summary: 'Subscribe this browser to the signed-in officer\'s order notices',
      description: 'The body is the browser\'s PushSubscription (`subscription.toJSON()`). Subscribing again replaces it. 204.',
      tags: ['console'],
      body: pushSubscription,
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    await push.subscribe(officerOf(signedIn(req)), req.body);
    return reply.code(204).send(null);
  });

  app.delete('/api/push/subscriptions', {
    schema: { summary: 'Unsubscribe a browser of the signed-in officer', tags: ['console'], body: z.object({ endpoint: z.string().min(1) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    if (!(await push.unsubscribe(officerOf(signedIn(req)), req.body.endpoint))) throw notFound('no such push subscription');
    return reply.code(204).send(null);
  });
}
