/**
 * Device messages from an MQTT subscription (an external broker, or any broker in tests) into the
 * ingest journal. The QoS 1 PUBACK goes out only once the journal holds the message; handling
 * happens later, off the connection, so one device's slow messages never hold up the others.
 *
 * It subscribes to everything under the root, so a device publishing on a topic outside the
 * contract is dead-lettered rather than never heard; the centre's own topics are passed over.
 * A persistent session is never unsubscribed on close: the broker keeps queuing for it while the
 * centre restarts, and unsubscribing would drop what is queued.
 */
import { connect, type DoneCallback, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../common/logger.js';
import { centerSubscriptions, publishedByCenter } from '../../contract/index.js';
import { StreetWatchError } from '../../common/errors.js';
import type { JournalWriter } from './journal.js';

export class IngestSourceError extends StreetWatchError {}

export interface MqttSourceOptions {
  client: MqttClient;
  journal: JournalWriter;
  root: string;
  /** Subscribe as `$share/<shareGroup>/<filter>` (MQTT 5) so several centres split the messages. */
  shared?: boolean;
  shareGroup?: string;
  log: Logger;
}

type HandleMessage = MqttClient['handleMessage'];

export class MqttJournalSource {
  private readonly filters: string[];
  private previous: HandleMessage | undefined;
  private hadOwnHandle = false;
  private current: Promise<void> | undefined;
  private started = false;
  private closed = false;
  /** Messages journaled so far. */
  journaled = 0;

  constructor(private readonly o: MqttSourceOptions) {
    const group = o.shareGroup ?? 'streetwatch';
    this.filters = centerSubscriptions(o.root).map((f) => (o.shared ? `$share/${group}/${f}` : f));
  }

  /** Hooks in and subscribes, on a client that is already connected (see connectJournaled for one that is not). */
  async start(): Promise<void> {
    this.hook();
    await this.subscribe();
  }

  /**
   * Takes over the client's message handling. Before the client connects, so that what a resumed
   * persistent session had queued (sent right after CONNACK) is journaled too, not acknowledged by
   * mqtt.js's default handler.
   */
  hook(): void {
    const { client, root, journal, log } = this.o;
    if (this.o.shared && client.options.protocolVersion !== 5) {
      throw new IngestSourceError('INGEST_NEEDS_MQTT5', 'shared subscriptions need an MQTT 5 client (protocolVersion: 5)');
    }
    this.hadOwnHandle = Object.prototype.hasOwnProperty.call(client, 'handleMessage');
    const previous = client.handleMessage;
    this.previous = previous;
    client.handleMessage = (packet: IPublishPacket, done: DoneCallback) => {
      const topic = String(packet.topic);
      if (!topic.startsWith(`${root}/`) || publishedByCenter(root, topic)) return previous.call(client, packet, done);
      // Closed: no PUBACK, so the broker keeps the message for the next start.
      if (this.closed) return;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.current = journal.append({ topic, payload, retained: Boolean(packet.retain) }).then(
        () => {
          this.current = undefined;
          this.journaled++;
          previous.call(client, packet, done); // → PUBACK: only now is the message safe
        },
        (err: unknown) => {
          this.current = undefined;
          // No PUBACK: dropping the connection makes the broker deliver the message again.
          log.error({ err, topic }, 'ingest: could not journal a message; reconnecting for a redelivery');
          client.stream.destroy();
        },
      );
    };
    this.started = true;
  }

  async subscribe(): Promise<void> {
    const { client, root, log } = this.o;
    const granted = await client.subscribeAsync(this.filters, { qos: 1 });
    const refused = granted.filter((g) => g.qos > 2);
    if (refused.length) throw new IngestSourceError('INGEST_SUBSCRIBE_REFUSED', `broker refused ${refused.map((g) => g.topic).join(', ')}`);
    log.info({ root, shared: Boolean(this.o.shared), filters: this.filters }, 'ingest: subscribed');
  }

  /**
   * Stops taking messages and finishes the one in hand. A clean session is unsubscribed and the
   * client left as it was found; a persistent one stays subscribed, and its client, which the owner
   * is about to end, acknowledges nothing more.
   */
  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const { client } = this.o;
    if (client.options.clean === false) {
      this.closed = true;
      await this.current;
      return;
    }
    this.closed = true; // deliveries racing the UNSUBACK are not acknowledged unjournaled
    if (client.connected) await client.unsubscribeAsync(this.filters).catch(() => undefined);
    await this.current;
    if (this.hadOwnHandle && this.previous) client.handleMessage = this.previous;
    else delete (client as Partial<Pick<MqttClient, 'handleMessage'>>).handleMessage;
  }
}

/**
 * Connects `url` with the ingest's source hooked in before the CONNECT goes out, then subscribes
 * (unless `subscribe` is false: a resumed session keeps its own): nothing the broker sends, a
 * resumed session's backlog included, is acknowledged unjournaled.
 */
export async function connectJournaled(
  url: string,
  options: IClientOptions,
  source: Omit<MqttSourceOptions, 'client'>,
  subscribe = true,
): Promise<{ client: MqttClient; source: MqttJournalSource }> {
  const client = connect(url, { ...options, manualConnect: true });
  const s = new MqttJournalSource({ ...source, client });
  s.hook();
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      client.removeListener('connect', onConnect);
      client.end(true);
      reject(err);
    };
    const onConnect = () => {
      client.removeListener('error', onError);
      resolve();
    };
    client.once('connect', onConnect);
    client.once('error', onError);
    client.connect();
  });
  if (subscribe) await s.subscribe();
  return { client, source: s };
}
