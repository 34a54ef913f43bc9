import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { PoisonMessageError, type ConsumeOptions, type Delivery } from '../../ports/job-queue.js';
import { confirmPublish, interruption, SessionLostError } from './rabbitmq-channel.js';
import { attemptOf, copyOptions, HEADERS, messageIdOf, reasonOf, topicOf } from './rabbitmq-message.js';
import { DELAY_HEADER, retryDelayFor, type QueueNames } from './rabbitmq-topology.js';

export interface ConsumerSpec {
  readonly queue: string;
  readonly names: QueueNames;
  readonly handler: (delivery: Delivery) => Promise<void>;
  readonly options: ConsumeOptions;
}

/** A consumer's channel in one session; `gone` fires when it closes, whatever the cause. */
export interface Subscription {
  readonly channel: Channel;
  readonly gone: AbortSignal;
}

/** What recording an outcome needs from the session the message arrived on. */
export interface DeliveryContext {
  readonly publisher: ConfirmChannel;
  readonly deadLetterExchange: string;
  readonly retryExchange: string;
  readonly retryBaseMs: number;
  readonly maxRetryDelayMs: number;
  readonly log: Logger;
  /** Rebuilds the session when an outcome could not be recorded on it. */
  readonly restart: (why: string) => void;
}

interface Job {
  readonly consumer: ConsumerSpec;
  readonly sub: Subscription;
  readonly msg: ConsumeMessage;
  readonly attempt: number;
  readonly log: Logger;
  readonly ctx: DeliveryContext;
}

/**
 * Runs one delivery to its outcome: ack on success; otherwise a retry copy or a dead letter,
 * confirmed before the original is acked. Settles (never rejects) once the outcome is recorded
 * or can no longer be, which is what frees the consumer's slot.
 */
export async function runDelivery(
  consumer: ConsumerSpec,
  sub: Subscription,
  msg: ConsumeMessage,
  ctx: DeliveryContext,
): Promise<void> {
  const attempt = attemptOf(msg);
  const id = messageIdOf(msg);
  const log = ctx.log.child({ queue: consumer.queue, messageId: id, attempt });
  const job: Job = { consumer, sub, msg, attempt, log, ctx };
  if (attempt > consumer.options.maxAttempts) {
    // Earlier deliveries never reported back: their consumer died or lost its connection.
    return move(job, 'dead', 'delivery limit reached without an outcome (consumer crashed or hung)');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(msg.content.toString('utf8'));
  } catch (err) {
    return move(job, 'dead', `payload is not valid JSON: ${reasonOf(err)}`);
  }
  const controller = new AbortController();
  const stop = interruption(consumer.options.timeoutMs, sub.gone, controller);
  try {
    const topic = topicOf(msg);
    const delivery = { id, queue: consumer.queue, topic, payload, attempt, signal: controller.signal };
    await Promise.race([consumer.handler(delivery), stop.promise]);
    sub.channel.ack(msg);
  } catch (err) {
    if (err instanceof SessionLostError || sub.gone.aborted) {
      log.warn('connection lost while the job ran; the broker delivers it again');
      return;
    }
    const last = err instanceof PoisonMessageError || attempt >= consumer.options.maxAttempts;
    await move(job, last ? 'dead' : 'retry', reasonOf(err));
  } finally {
    stop.dispose();
  }
}

/** The copy is confirmed before the original is acked: a crash in between duplicates, never loses. */
async function move({ consumer, sub, msg, attempt, log, ctx }: Job, to: 'retry' | 'dead', reason: string) {
  if (to === 'dead') log.error({ reason }, 'job dead-lettered');
  else log.warn({ reason }, 'job failed; will retry');
  try {
    if (sub.gone.aborted) throw new SessionLostError();
    if (to === 'dead') {
      const headers = {
        [HEADERS.reason]: reason,
        [HEADERS.attempts]: attempt,
        [HEADERS.queue]: consumer.queue,
      };
      const options = copyOptions(msg, headers);
      await confirmPublish(ctx.publisher, ctx.deadLetterExchange, consumer.names.work, msg.content, options);
    } else {
      const delay = retryDelayFor(attempt, ctx.retryBaseMs, ctx.maxRetryDelayMs);
      const options = copyOptions(msg, {
        [HEADERS.attempts]: attempt,
        [HEADERS.lastError]: reason,
        [DELAY_HEADER]: delay,
      });
      await confirmPublish(ctx.publisher, ctx.retryExchange, consumer.names.work, msg.content, options);
    }
    sub.channel.ack(msg);
  } catch (err) {
    if (sub.gone.aborted) return; // left unacked: the broker delivers it again
    // The session is broken in a way this channel does not show; a fresh one returns the message.
    log.error({ err }, 'recording a job outcome failed');
    ctx.restart(`recording the outcome of ${messageIdOf(msg)} failed: ${reasonOf(err)}`);
  }
}
