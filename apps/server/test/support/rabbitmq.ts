import { connect as amqpConnect } from 'amqplib';
import { DEFAULT_RABBITMQ_OPTIONS } from '../../src/adapters/rabbitmq/rabbitmq-queue.js';
import {
  rabbitMqNames,
  retryDelays,
  type RabbitMqNames,
} from '../../src/adapters/rabbitmq/rabbitmq-topology.js';
import { jobs, topologyOf } from '../../src/jobs/catalogue.js';
import { AMQP_URL } from './services.js';

/** Deletes the exchanges and queues a test declared (names come from the adapter). */
export async function deleteEverything(names: RabbitMqNames[]): Promise<void> {
  const connection = await amqpConnect(AMQP_URL);
  try {
    const ch = await connection.createChannel();
    const queues = new Set(
      names.flatMap((n) => [
        ...[...n.queues.values()].flatMap((q) => [q.work, q.dead]),
        ...n.delays.values(),
      ]),
    );
    for (const queue of queues) await ch.deleteQueue(queue);
    for (const exchange of new Set(names.flatMap((n) => [n.events, n.deadLetters, n.retry, n.returns])))
      await ch.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

/** Deletes what a main.ts process with AMQP_QUEUE_PREFIX `prefix` and default retries declared. */
export function deleteProcessQueues(prefix: string): Promise<void> {
  return deleteEverything([
    rabbitMqNames(
      prefix,
      topologyOf(jobs),
      retryDelays(DEFAULT_RABBITMQ_OPTIONS.retryBaseMs, DEFAULT_RABBITMQ_OPTIONS.maxRetryDelayMs),
    ),
  ]);
}
