/**
 * Notices across a reassignment, through the real outbox drainer, dispatcher, Redis, Mosquitto and
 * two HTTP receivers (one per team): a notice goes to the team it was queued for, or not at all if
 * the order left that team before it was sent, and the team an order is taken from is told to stand down.
 */
import mqtt from 'mqtt';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { centerConfigSchema } from '../center/config.js';
import { NoopMetricsWriter } from '../center/metrics/points.js';
import { startDispatcher, type Dispatcher } from '../ticketing/dispatcher.js';
import { OutboxDrainer } from '../ticketing/outbox-drainer.js';
import { createQueues } from '../ticketing/queues.js';
import { openTestOrder } from '../ticketing/test-orders.js';
import { RedisWorkOrderStore } from '../ticketing/work-order-store.js';
import { Workflow } from '../ticketing/workflow.js';
import { tempDir } from './fixtures.js';
import { centreQuiet } from './helpers/centre-quiet.js';
import { redisSpace } from './helpers/redis-space.js';
import { waitFor } from './helpers/processes.js';
import { startWebhookReceiver, type WebhookPost } from './helpers/webhook-receiver.js';

describe('notices and reassignment', () => {
  const { id, prefix, redis, closing } = redisSpace('reassign');

  it('sends a notice to the team it was queued for, drops it once the order left that team, and stands the old team down', async () => {
    const north = await startWebhookReceiver();
    const south = await startWebhookReceiver();
    closing(north.close, south.close);
    const config = centerConfigSchema.parse({
      rootTopic: `swtest-${id}/v1`, redisPrefix: prefix, dataDir: tempDir(),
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      teams: [
        { id: 'team-north', webhook: { url: `${north.url}/orders`, secret: 'north-secret' }, officers: [{ id: 'li' }] },
        { id: 'team-south', webhook: { url: `${south.url}/orders`, secret: 'south-secret' }, officers: [{ id: 'wang' }] },
      ],
      defaultTeam: 'team-north',
    });
    const logger = pino({ level: 'silent' });
    const store = new RedisWorkOrderStore(redis, prefix);
    const workflow = new Workflow({ config, store, metrics: new NoopMetricsWriter(), logger });
    const sup = { name: 'sup-wu' };

    // Moved to the south before anything was sent: its order notice for the north is stale.
    const early = await openTestOrder(store, { confirmed: false });
    await workflow.confirm(early.id, { name: 'op-zhang' });
    await workflow.reassign(early.id, { team: 'team-south' }, sup);

    const queues = createQueues(redis, prefix);
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `swtest-reassign-${id}` });
    const drainer = new OutboxDrainer({ redis, prefix, queues, consumer: `d-${id}`, logger });
    const dispatcher: Dispatcher = startDispatcher({ connection: redis, prefix, store, config, mqtt: client, logger });
    closing(() => client.endAsync(), () => queues.close(), () => dispatcher.close(), () => drainer.close());
    drainer.start();

    // Told to the north first, then moved: the north hears it is no longer theirs.
    const late = await openTestOrder(store, { confirmed: false });
    await workflow.confirm(late.id, { name: 'op-zhang' });
    await waitFor(() => north.posts.some((p) => p.orderId === late.id), 'the order at the north', 10_000);
    await workflow.reassign(late.id, { team: 'team-south' }, sup);

    await waitFor(() => north.posts.length >= 3 && south.posts.length >= 2, 'all notices', 10_000);
    await centreQuiet(redis, prefix); // a stray one would be sent by now
    const of = (posts: WebhookPost[], orderId: string) => posts.filter((p) => p.orderId === orderId).map((p) => p.kind);
    expect(of(north.posts, early.id)).toEqual(['stand_down']);
    expect(of(south.posts, early.id)).toEqual(['order']);
    expect(of(north.posts, late.id)).toEqual(['order', 'stand_down']);
    expect(of(south.posts, late.id)).toEqual(['order']);
  }, 40_000);
});
