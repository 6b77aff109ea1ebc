/**
 * Web Push to officers' phones: the officer app subscribes a browser (its endpoint and keys) for
 * the signed-in officer; the dispatcher tells the officer's browsers, or every officer of the team
 * when the order has none yet, of an order sent to them. Notices are best effort: the webhook and
 * MQTT remain the record, a push is a doorbell.
 *
 * Keys (under the store prefix): `<p>:push-vapid` the centre's VAPID key pair, made once by
 * whichever process needs it first (SET NX, so all processes sign with the same key);
 * `<p>:push-subs:<officerId>` hash endpoint → subscription JSON.
 */
import type { Agent } from 'node:https';
import webpush from 'web-push';
import { z } from 'zod';
import type { RedisClient } from '../common/redis.js';
import type { Logger } from '../common/logger.js';
import type { WorkOrder } from './work-order.js';

export const pushSubscription = z
  .object({
    endpoint: z.url({ protocol: /^https?$/ }).max(2048),
    expirationTime: z.number().nullable().optional(),
    keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
  })
  .meta({ id: 'PushSubscription' });
export type PushSubscription = z.output<typeof pushSubscription>;

export interface PushNotice {
  title: string;
  body: string;
  orderId: string;
}

/** A push service answers 404 or 410 for a subscription the browser gave up: it is dropped. */
const GONE = new Set([404, 410]);
/** How long a push service keeps trying a phone that is off: an order older than this is stale news. */
const TTL_S = 30 * 60;

export class WebPushService {
  private vapid: Promise<{ publicKey: string; privateKey: string }> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** `mailto:` or `https:` contact the push services may use (VAPID `sub`). */
    private readonly subject: string,
    private readonly logger: Logger,
    /** The connection to the push services (a private CA, a proxy's agent); default Node's own. */
    private readonly agent?: Agent,
  ) {}

  private subsKey = (officerId: string) => `${this.prefix}:push-subs:${officerId}`;

  /** The centre's key pair: read, or made and stored once for every process. */
  keys(): Promise<{ publicKey: string; privateKey: string }> {
    this.vapid ??= (async () => {
      const key = `${this.prefix}:push-vapid`;
      await this.redis.set(key, JSON.stringify(webpush.generateVAPIDKeys()), 'NX');
      return JSON.parse((await this.redis.get(key))!) as { publicKey: string; privateKey: string };
    })().catch((err: unknown) => {
      this.vapid = null; // try again next time
      throw err;
    });
    return this.vapid;
  }

  async subscribe(officerId: string, sub: PushSubscription): Promise<void> {
    await this.redis.hset(this.subsKey(officerId), sub.endpoint, JSON.stringify(sub));
  }

  /** True when there was such a subscription. */
  async unsubscribe(officerId: string, endpoint: string): Promise<boolean> {
    return (await this.redis.hdel(this.subsKey(officerId), endpoint)) > 0;
  }

  async subscriptions(officerId: string): Promise<PushSubscription[]> {
    return Object.values(await this.redis.hgetall(this.subsKey(officerId))).map((raw) => JSON.parse(raw) as PushSubscription);
  }

  /** Sends to every browser of these officers; returns how many took it. Never throws. */
  async notify(officerIds: readonly string[], notice: PushNotice): Promise<number> {
    let sent = 0;
    try {
      const { publicKey, privateKey } = await this.keys();
      const payload = JSON.stringify(notice);
      for (const officerId of officerIds) {
        for (const sub of await this.subscriptions(officerId)) {
          try {
            await webpush.sendNotification(sub, payload, { vapidDetails: { subject: this.subject, publicKey, privateKey }, TTL: TTL_S, timeout: 10_000, ...(this.agent ? { agent: this.agent } : {}) });
            sent++;
          } catch (err) {
            const status = (err as { statusCode?: number }).statusCode;
            if (status !== undefined && GONE.has(status)) await this.unsubscribe(officerId, sub.endpoint);
            else this.logger.warn({ orderId: notice.orderId, officerId, status, err: (err as Error).message }, 'web push not delivered');
          }
        }
      }
    } catch (err) {
      this.logger.warn({ orderId: notice.orderId, err: (err as Error).message }, 'web push failed');
    }
    return sent;
  }
}

/** Pure: who is told of an order sent to a team — its officer, or all the team's officers while it has none. */
export function pushRecipients(order: Pick<WorkOrder, 'assignee'>, teamOfficers: readonly string[]): string[] {
  return order.assignee ? [order.assignee] : [...teamOfficers];
}

/** Pure: the notification text of a new order (the plate is not put on a lock screen). */
export function orderNotice(order: Pick<WorkOrder, 'id' | 'type' | 'zoneId' | 'location'>): PushNotice {
  const where = order.location?.address ?? order.zoneId ?? '';
  return { title: `新工单 New order: ${order.type.replace(/_/g, ' ')}`, body: where, orderId: order.id };
}
