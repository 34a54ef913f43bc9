import type { Message, Options } from 'amqplib';

/** Headers the adapter writes; everything else on a message comes from RabbitMQ. */
export const HEADERS = {
  /** Attempts used before this copy was published (a retry copy starts its own delivery count). */
  attempts: 'x-glimpse-attempts',
  /** Why a message was dead-lettered. */
  reason: 'x-glimpse-reason',
  /** Last failure of a message waiting in a retry queue, for whoever inspects it there. */
  lastError: 'x-glimpse-last-error',
  queue: 'x-glimpse-queue',
} as const;

/** Header values are free text for operators; keep them well inside a frame. */
const MAX_REASON_CHARS = 2_000;

const count = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
};

/**
 * 1 on the first delivery. Counts explicit retries (carried in our header) and returns to the
 * queue, so a message that kills its consumer uses up its attempts instead of looping. Quorum
 * queues count returns in `x-delivery-count` (3.x); RabbitMQ 4 counts every return in
 * `x-acquired-count` and narrows `x-delivery-count` to failures, so the larger one is the truth.
 */
export function attemptOf(msg: Message): number {
  const headers = msg.properties.headers ?? {};
  const counted = [headers['x-delivery-count'], headers['x-acquired-count']].filter((v) => v !== undefined);
  const redeliveries = counted.length > 0 ? Math.max(...counted.map(count)) : msg.fields.redelivered ? 1 : 0;
  return count(headers[HEADERS.attempts]) + redeliveries + 1;
}

/** The routing key changes when a retry queue expires a message back, so the topic travels as `type`. */
export function topicOf(msg: Message): string {
  return typeof msg.properties.type === 'string' ? msg.properties.type : msg.fields.routingKey;
}

export function messageIdOf(msg: Message): string {
  return typeof msg.properties.messageId === 'string' ? msg.properties.messageId : '';
}

export function publishOptions(
  id: string,
  topic: string,
  headers?: Record<string, unknown>,
): Options.Publish {
  return { persistent: true, messageId: id, type: topic, contentType: 'application/json', headers };
}

/** Options for a retry or dead-letter copy: same id, topic and body, fresh adapter headers. */
export function copyOptions(msg: Message, headers: Record<string, unknown>): Options.Publish {
  const trimmed = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, MAX_REASON_CHARS) : v]),
  );
  return publishOptions(messageIdOf(msg), topicOf(msg), trimmed);
}

export function reasonOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
