/**
 * Carries live events between the centre's processes over Redis pub/sub: the worker changes an
 * order, the ingest hears a box, and every API process's hub sees it. Pub/sub is fire-and-forget,
 * which suits events that only prompt a screen to update: a console that was disconnected
 * reloads its lists when its stream comes back.
 */
import type { RedisClient } from '../../common/redis.js';
import type { Logger } from '../../common/logger.js';
import type { LiveEvent, LiveHub } from './live-events.js';

export const liveChannel = (prefix: string): string => `${prefix}:console:events`;

/** Never awaited by the caller and never throws: a lost event must not fail the write it reports. */
export function livePublisher(redis: RedisClient, prefix: string, logger: Logger): (event: LiveEvent) => void {
  const channel = liveChannel(prefix);
  const lost = (err: Error, kind: LiveEvent['kind']) => logger.warn({ err: err.message, kind }, 'live event not published');
  return (event) => {
    let text: string;
    try {
      text = JSON.stringify(event);
    } catch (err) {
      return lost(err as Error, event.kind);
    }
    redis.publish(channel, text).catch((err: Error) => lost(err, event.kind));
  };
}

/** Subscribes `subscriber` (a connection of its own: a subscribed ioredis client does nothing else) and feeds the hub. */
export async function relayToHub(subscriber: RedisClient, prefix: string, hub: LiveHub, logger: Logger): Promise<() => Promise<void>> {
  const channel = liveChannel(prefix);
  subscriber.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      hub.emit(JSON.parse(raw) as LiveEvent);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'unreadable live event dropped');
    }
  });
  await subscriber.subscribe(channel);
  return async () => {
    await subscriber.unsubscribe(channel).catch(() => undefined);
    subscriber.disconnect();
  };
}
