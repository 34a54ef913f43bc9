import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type RecoveringChannelModel,
} from 'amqplib';
import type { Logger } from 'pino';
import type {
  ConsumeOptions,
  Delivery,
  JobQueue,
  QueueMessage,
  QueueStats,
  Topology,
} from '../../ports/job-queue.js';
import { publishBatch, withTimeout } from './rabbitmq-channel.js';
import { reasonOf } from './rabbitmq-message.js';
import {
  runDelivery,
  type ConsumerSpec,
  type DeliveryContext,
  type Subscription,
} from './rabbitmq-delivery.js';
import { declareTopology, rabbitMqNames, retryDelays, type RabbitMqNames } from './rabbitmq-topology.js';

/** A broker that vanished without closing TCP is noticed within two missed heartbeats, so publishes fail fast. */
const HEARTBEAT_S = 10;
/** A TCP connect or AMQP handshake slower than this counts as a failed attempt and is retried. */
const CONNECT_TIMEOUT_MS = 5_000;
/** First reconnect delay; later ones double (with jitter) up to `maxReconnectDelayMs`. */
const RECONNECT_INITIAL_DELAY_MS = 100;
/** `ping` must answer for health checks even when the broker hangs instead of refusing. */
const PING_TIMEOUT_MS = 2_000;

export interface RabbitMqQueueOptions {
  readonly log: Logger;
  /** First retry delay; each later attempt waits 4x longer, up to `maxRetryDelayMs`. */
  readonly retryBaseMs: number;
  readonly maxRetryDelayMs: number;
  /** Prepended to every exchange and queue name, so test runs sharing a broker never meet. */
  readonly queuePrefix?: string;
  /** Failed connection attempts at start-up before `connect` rejects; after that it retries forever. */
  readonly startupRetries?: number;
  readonly maxReconnectDelayMs?: number;
}

export const DEFAULT_RABBITMQ_OPTIONS = {
  retryBaseMs: 1_000,
  maxRetryDelayMs: 300_000,
  queuePrefix: '',
  startupRetries: 5,
  maxReconnectDelayMs: 10_000,
} as const;

/** Everything that lives and dies with one broker connection. */
interface Session {
  readonly model: ChannelModel;
  readonly admin: Channel;
  readonly publisher: ConfirmChannel;
  readonly gone: AbortSignal;
}

interface Consumer extends ConsumerSpec {
  /** Set when subscribing starts, so set-up and a concurrent consume() never both subscribe. */
  session?: Session;
  subscription?: Subscription & { readonly tag: string };
}

/**
 * JobQueue on RabbitMQ. One topic exchange routes each topic to durable quorum queues declared at
 * connect time, so nothing published before a consumer exists is lost. A failed attempt is
 * re-published to a TTL queue for its back-off delay that expires back into the work queue; a
 * message that cannot succeed is re-published to the queue's dead-letter queue with the reason.
 * The copy is confirmed before the original is acked, so a crash in between duplicates instead
 * of losing it. A connection loss drops the session (channels, consumers) and a new one is built
 * on reconnect; unacked messages go back to their queue and count as an attempt.
 */
export class RabbitMqQueue implements JobQueue {
  readonly kind = 'rabbitmq' as const;
  readonly names: RabbitMqNames;
  readonly #log: Logger;
  readonly #consumers: Consumer[] = [];
  readonly #inflight = new Set<Promise<void>>();
  #connection: RecoveringChannelModel | null = null;
  #session: Session | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(
    private readonly topology: Topology,
    private readonly options: RabbitMqQueueOptions,
  ) {
    this.#log = options.log;
    const delays = retryDelays(options.retryBaseMs, options.maxRetryDelayMs);
    this.names = rabbitMqNames(options.queuePrefix ?? '', topology, delays);
  }

  /** Connects and declares the topology; rejects if the broker stays unreachable for the start-up retries. */
  static async connect(
    url: string,
    topology: Topology,
    options: RabbitMqQueueOptions,
  ): Promise<RabbitMqQueue> {
    const queue = new RabbitMqQueue(topology, options);
    await queue.#open(url);
    return queue;
  }

  async publish(messages: readonly QueueMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // No buffering while disconnected: the outbox relay keeps the rows and publishes them again.
    await publishBatch(this.#live().publisher, this.names.events, messages);
  }

  consume(queue: string, handler: (delivery: Delivery) => Promise<void>, options: ConsumeOptions): void {
    if (this.#closed) throw new Error('queue is closed');
    const names = this.names.queues.get(queue);
    if (!names) throw new Error(`queue ${queue} is not in the topology`);
    const consumer: Consumer = { queue, names, handler, options };
    this.#consumers.push(consumer);
    const session = this.#session;
    if (session) {
      this.#subscribe(session, consumer).catch((err: unknown) => {
        this.#restart(session, `subscribing to ${queue} failed: ${reasonOf(err)}`);
      });
    }
  }

  async stats(): Promise<QueueStats[]> {
    const { admin } = this.#live();
    const entries = [...this.names.queues].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Promise.all(
      entries.map(async ([queue, q]) => {
        const [work, dead] = await Promise.all([admin.checkQueue(q.work), admin.checkQueue(q.dead)]);
        return { queue, ready: work.messageCount, dead: dead.messageCount };
      }),
    );
  }

  async ping(): Promise<void> {
    await withTimeout(this.#live().admin.checkExchange(this.names.events), PING_TIMEOUT_MS, 'RabbitMQ ping');
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(
      this.#consumers.map((c) =>
        c.subscription && !c.subscription.gone.aborted
          ? c.subscription.channel.cancel(c.subscription.tag)
          : null,
      ),
    );
    // Running handlers are bounded by their timeouts; their outcome still needs the connection.
    await Promise.allSettled([...this.#inflight]);
    // Channels are multiplexed separately from the connection's own frames: closing each one first
    // makes sure its last acks reach the broker before the connection goes.
    await Promise.allSettled(this.#consumers.map((c) => c.subscription?.channel.close()));
    await this.#connection?.close().catch(() => {});
    this.#session = null;
  }

  async #open(url: string): Promise<void> {
    const target = new URL(url);
    if (!target.searchParams.has('heartbeat')) target.searchParams.set('heartbeat', String(HEARTBEAT_S));
    const connection = await connect(target.toString(), {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: `glimpse ${this.options.queuePrefix ?? ''}`.trim() },
      recovery: {
        initialDelay: RECONNECT_INITIAL_DELAY_MS,
        maxDelay: this.options.maxReconnectDelayMs ?? DEFAULT_RABBITMQ_OPTIONS.maxReconnectDelayMs,
        maxRetries: Infinity,
        initialMaxRetries: this.options.startupRetries ?? DEFAULT_RABBITMQ_OPTIONS.startupRetries,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    });
    this.#connection = connection;
    connection.on('error', (err) => this.#log.warn({ err }, 'RabbitMQ connection error'));
    connection.on('disconnect', (err) => this.#log.warn({ err }, 'RabbitMQ connection lost; reconnecting'));
    connection.on('connect-failed', (err) => this.#log.warn({ err }, 'connecting to RabbitMQ failed'));
    connection.on('reconnect-failed', (err) => this.#log.error({ err }, 'gave up connecting to RabbitMQ'));
    connection.on('blocked', (reason) => this.#log.warn({ reason }, 'RabbitMQ blocked publishing'));
    connection.on('unblocked', () => this.#log.info('RabbitMQ unblocked publishing'));
    await connection.waitForConnect();
  }

  /** Runs on every (re)connect; a throw makes amqplib close this connection and try again later. */
  async #setup(model: ChannelModel): Promise<void> {
    const lost = new AbortController();
    model.on('error', (err) => this.#log.debug({ err }, 'RabbitMQ connection error'));
    model.on('close', () => {
      lost.abort();
      if (this.#session?.model === model) this.#session = null;
    });
    const admin = await model.createChannel();
    const publisher = await model.createConfirmChannel();
    const session: Session = { model, admin, publisher, gone: lost.signal };
    for (const channel of [admin, publisher]) this.#watch(session, channel, 'admin or publishing channel');
    await declareTopology(admin, this.names, this.topology);
    // Live before the consumers, so one registered meanwhile subscribes itself instead of being missed.
    this.#session = session;
    if (!this.#closed) for (const consumer of this.#consumers) await this.#subscribe(session, consumer);
    if (lost.signal.aborted) throw new Error('connection lost during set-up');
    this.#log.info({ queues: this.names.queues.size }, 'connected to RabbitMQ');
  }

  async #subscribe(session: Session, consumer: Consumer): Promise<void> {
    if (consumer.session === session) return;
    consumer.session = session;
    const channel = await session.model.createChannel();
    const gone = new AbortController();
    channel.on('close', () => gone.abort());
    this.#watch(session, channel, `consumer channel of ${consumer.queue}`);
    await channel.prefetch(consumer.options.concurrency);
    const sub: Subscription = { channel, gone: gone.signal };
    const context: DeliveryContext = {
      publisher: session.publisher,
      deadLetterExchange: this.names.deadLetters,
      retryExchange: this.names.retry,
      retryBaseMs: this.options.retryBaseMs,
      maxRetryDelayMs: this.options.maxRetryDelayMs,
      log: this.#log,
      restart: (why) => this.#restart(session, why),
    };
    const { consumerTag } = await channel.consume(consumer.names.work, (msg) => {
      if (!msg) return this.#restart(session, `RabbitMQ cancelled the consumer of ${consumer.queue}`);
      const run = runDelivery(consumer, sub, msg, context)
        .catch((err: unknown) =>
          this.#log.error({ err, queue: consumer.queue }, 'delivery failed unexpectedly'),
        )
        .finally(() => this.#inflight.delete(run));
      this.#inflight.add(run);
    });
    consumer.subscription = { ...sub, tag: consumerTag };
  }

  /** Any channel that closes while its connection stays up leaves the session half-working: rebuild it. */
  #watch(session: Session, channel: Channel, what: string): void {
    channel.on('error', (err) => this.#log.warn({ err, channel: what }, 'RabbitMQ channel error'));
    channel.on('close', () => this.#restart(session, `the ${what} closed`));
  }

  /** One way back from any half-broken state: drop the connection, and recovery builds a new session. */
  #restart(session: Session, why: string): void {
    // Channels close before their connection reports it; wait a turn so a plain disconnect stays one.
    setImmediate(() => {
      if (session.gone.aborted || this.#closed) return;
      this.#log.warn({ reason: why }, 'RabbitMQ session broken; reconnecting');
      session.model.close().catch(() => {});
    });
  }

  #live(): Session {
    const session = this.#session;
    if (!session || session.gone.aborted) throw new Error('RabbitMQ is not connected (reconnecting)');
    return session;
  }
}
