/** One durable message: an outbox event or a scheduled job. */
export interface QueueMessage {
  /** Unique per logical message; republishing the same id must not run a job twice where the adapter can dedupe. */
  readonly id: string;
  readonly topic: string;
  readonly payload: unknown;
}

/** What a handler sees of a delivery. */
export interface Delivery {
  readonly id: string;
  readonly queue: string;
  readonly topic: string;
  readonly payload: unknown;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly signal: AbortSignal;
}

/** Throw from a handler to send the message straight to the dead-letter queue. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

export interface ConsumeOptions {
  readonly concurrency: number;
  /** Deliveries after which a failing message is dead-lettered. */
  readonly maxAttempts: number;
  /** A handler running longer than this counts as failed (and its signal is aborted). */
  readonly timeoutMs: number;
}

export interface QueueStats {
  readonly queue: string;
  readonly ready: number;
  readonly dead: number;
}

/** Routing: which queues receive a topic. Comes from the job catalogue, identical in every process. */
export type Topology = ReadonlyMap<string, readonly string[]>;

/**
 * Events and jobs. `publish` resolves only once every message is durable (stored in a table,
 * or confirmed by the broker). Delivery is at least once: handlers must be idempotent.
 */
export interface JobQueue {
  readonly kind: 'outbox-poll' | 'rabbitmq';
  publish(messages: readonly QueueMessage[]): Promise<void>;
  consume(queue: string, handler: (delivery: Delivery) => Promise<void>, options: ConsumeOptions): void;
  stats(): Promise<QueueStats[]>;
  ping(): Promise<void>;
  /** Stops consuming, waits for running handlers, releases connections. */
  close(): Promise<void>;
}
