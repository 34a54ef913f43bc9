import type { ConfirmChannel, Options } from 'amqplib';
import type { QueueMessage } from '../../ports/job-queue.js';
import { publishOptions } from './rabbitmq-message.js';

/** The delivery's channel closed: its outcome can no longer be recorded, and the broker hands it out again. */
export class SessionLostError extends Error {
  override readonly name = 'SessionLostError';
  constructor() {
    super('connection to RabbitMQ lost');
  }
}

/** Resolves once the broker confirmed the message (it is on disk in every queue it was routed to). */
export function confirmPublish(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, routingKey, content, options, (err: unknown) =>
      err ? reject(err instanceof Error ? err : new Error('message rejected by RabbitMQ')) : resolve(),
    );
  });
}

/**
 * Publishes a batch and resolves when every message is confirmed. Writes pause while the
 * socket buffer is full instead of queueing the whole batch in memory.
 */
export async function publishBatch(
  channel: ConfirmChannel,
  exchange: string,
  messages: readonly QueueMessage[],
): Promise<void> {
  const confirms: Promise<void>[] = [];
  for (const m of messages) {
    const content = Buffer.from(JSON.stringify(m.payload ?? null));
    let full = false;
    const confirmed = new Promise<void>((resolve, reject) => {
      full = !channel.publish(exchange, m.topic, content, publishOptions(m.id, m.topic), (err: unknown) =>
        err ? reject(err instanceof Error ? err : new Error(`RabbitMQ rejected message ${m.id}`)) : resolve(),
      );
    });
    // Handled now, awaited below: a failure while we wait for 'drain' must not be an unhandled rejection.
    confirmed.catch(() => {});
    confirms.push(confirmed);
    if (full) await drained(channel);
  }
  await Promise.all(confirms);
}

function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

/**
 * What ends a running handler early: its timeout, or the loss of the channel it came on. Either
 * aborts the handler's signal. Per delivery (not one shared promise per channel) so a long-lived
 * channel does not collect a reaction for every message it ever delivered.
 */
export function interruption(
  timeoutMs: number,
  channelGone: AbortSignal,
  controller: AbortController,
): { promise: Promise<never>; dispose: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let onGone = () => {};
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    onGone = () => {
      controller.abort();
      reject(new SessionLostError());
    };
    if (channelGone.aborted) onGone();
    else channelGone.addEventListener('abort', onGone, { once: true });
  });
  promise.catch(() => {});
  return {
    promise,
    dispose: () => {
      clearTimeout(timer);
      channelGone.removeEventListener('abort', onGone);
    },
  };
}

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
