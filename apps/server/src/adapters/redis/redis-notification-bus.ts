import { Cluster } from 'ioredis';
import type {
  NotificationBus,
  NotificationEvent,
  NotificationListener,
} from '../../ports/notification-bus.js';
import { addListener, deliver } from '../memory/memory-notification-bus.js';
import type { RedisClient } from './redis-client.js';

/**
 * How long `subscribe` waits for Redis to confirm the channel subscription. A stream opened
 * while Redis is down still opens (its list works, its heartbeats flow); the subscription lands
 * when Redis is back, and live events start then.
 */
const SUBSCRIBE_WAIT_MS = 2_000;

/**
 * Redis pub/sub between processes: workers publish, every API process subscribes once to one
 * channel and hands each event to the streams of that recipient it holds. One channel rather
 * than one per user keeps subscriptions constant while streams come and go; every API process
 * sees every event (a few dozen bytes each), which is cheap next to what creating one costs.
 *
 * On a Redis Cluster, PUBLISH is broadcast to every node, so the subscriber may sit on any.
 * Channels are not keys: ioredis does not prefix them, so the channel name carries
 * REDIS_KEY_PREFIX itself and deployments sharing a Redis stay apart.
 */
export class RedisNotificationBus implements NotificationBus {
  readonly #listeners = new Map<string, Set<NotificationListener>>();
  readonly #channel: string;
  #subscriber: RedisClient | null = null;
  #subscribed: Promise<unknown> | null = null;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.#channel = `${keyPrefix}notifications`;
  }

  /** The channel this bus publishes on (tests check the prefix). */
  get channel(): string {
    return this.#channel;
  }

  async publish(events: readonly NotificationEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.redis.publish(this.#channel, JSON.stringify(events.map((e) => [e.id, e.recipientId])));
  }

  async subscribe(recipientId: string, listener: NotificationListener): Promise<() => void> {
    const unsubscribe = addListener(this.#listeners, recipientId, listener);
    this.#subscribed ??= this.#connect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#subscribed,
      new Promise((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = null;
    this.#subscribed = null;
  }

  /**
   * A dedicated connection (one in subscriber mode can run nothing else), opened on the first
   * subscription so processes that only publish (workers) never hold one. Unlike the shared
   * client it queues commands while disconnected, so the SUBSCRIBE waits for Redis instead of
   * failing, and ioredis re-subscribes by itself after every reconnect.
   */
  #connect(): Promise<unknown> {
    const offline = { enableOfflineQueue: true, maxRetriesPerRequest: null };
    const redis = this.redis;
    const subscriber: RedisClient =
      redis instanceof Cluster
        ? redis.duplicate(undefined, {
            enableOfflineQueue: true,
            redisOptions: { ...redis.options.redisOptions, ...offline },
          })
        : redis.duplicate(offline);
    this.#subscriber = subscriber;
    subscriber.on('error', this.onError);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      for (const event of parse(message)) deliver(this.#listeners, event);
    });
    return subscriber.subscribe(this.#channel).catch((err: unknown) => {
      this.onError(err);
      // Let the next stream try again instead of waiting on a subscription that failed.
      subscriber.disconnect();
      if (this.#subscriber === subscriber) {
        this.#subscriber = null;
        this.#subscribed = null;
      }
    });
  }
}

function parse(message: string): NotificationEvent[] {
  try {
    const pairs = JSON.parse(message) as unknown;
    if (!Array.isArray(pairs)) return [];
    return pairs.flatMap((p) =>
      Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string'
        ? [{ id: p[0], recipientId: p[1] }]
        : [],
    );
  } catch {
    return [];
  }
}
