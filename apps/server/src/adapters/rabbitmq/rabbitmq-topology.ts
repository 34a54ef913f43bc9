import type { Channel } from 'amqplib';
import type { Topology } from '../../ports/job-queue.js';

/**
 * Broker-side backstop against poison loops: a message handed back to its work queue this many
 * times without an ack (consumers crashing on it, connections dropping mid-job) is dead-lettered by
 * RabbitMQ itself, even if no consumer ever lives long enough to count it. Kept well above any
 * job's maxAttempts so the adapter's own count, which records a reason, normally acts first.
 * Queue arguments are fixed once declared: changing this means re-creating the queues.
 */
export const DELIVERY_LIMIT = 20;
/** Dead letters expire after the retention the embedded queue's `outbox.prune` applies to its own. */
export const DEAD_LETTER_TTL_MS = 30 * 24 * 3_600_000;

/**
 * Quorum queues dead-letter at most once unless told otherwise; at-least-once keeps a message in
 * its source queue until the target confirms it, and RabbitMQ only honours it with reject-publish.
 */
const SAFE_DEAD_LETTERING = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };

export interface QueueNames {
  readonly work: string;
  readonly dead: string;
}

/**
 * The header a retry copy carries to reach the delay queue of its back-off step. Not `x-…`: a
 * headers exchange ignores x- headers when matching, and then every binding matches.
 */
export const DELAY_HEADER = 'glimpse-delay-ms';

export interface RabbitMqNames {
  /** Topic exchange every message is published to, routing key = topic. */
  readonly events: string;
  /** Direct exchange for dead letters, routing key = the work queue's name. */
  readonly deadLetters: string;
  /**
   * Headers exchange for retry copies: routed by DELAY_HEADER to the delay queue of that step,
   * with the work queue's name as routing key. The delay queues are shared by every job, so
   * their number depends on the back-off steps only, not on how many jobs there are.
   */
  readonly retry: string;
  /** Direct exchange expired retry copies land in; routing key = the work queue's name. */
  readonly returns: string;
  /** One delay queue per back-off step (ms): a copy waits out the TTL, then returns to its work queue. */
  readonly delays: ReadonlyMap<number, string>;
  /** By the catalogue's queue name. */
  readonly queues: ReadonlyMap<string, QueueNames>;
}

/**
 * Delays a failed attempt can wait: retryBaseMs * 4^(attempt-1), capped. Each gets its own TTL
 * queue, because a quorum queue only expires messages at its head: one shared queue would hold a
 * 20 ms retry behind a 5 min one.
 */
export function retryDelays(retryBaseMs: number, maxRetryDelayMs: number): number[] {
  if (!(retryBaseMs > 0) || !(maxRetryDelayMs > 0)) throw new Error('retry delays must be positive');
  const delays: number[] = [];
  for (let d = retryBaseMs; d < maxRetryDelayMs; d *= 4) delays.push(Math.round(d));
  return [...new Set([...delays, Math.round(maxRetryDelayMs)])];
}

export function retryDelayFor(attempt: number, retryBaseMs: number, maxRetryDelayMs: number): number {
  return Math.round(Math.min(retryBaseMs * 4 ** (attempt - 1), maxRetryDelayMs));
}

export function rabbitMqNames(prefix: string, topology: Topology, delays: readonly number[]): RabbitMqNames {
  const queues = new Map<string, QueueNames>();
  for (const queue of new Set([...topology.values()].flat())) {
    const work = `${prefix}${queue}`;
    queues.set(queue, { work, dead: `${work}.dead` });
  }
  const delayQueues = new Map(delays.map((d) => [d, `${prefix}glimpse.retry.${d}ms`]));
  const all = [...[...queues.values()].flatMap((q) => [q.work, q.dead]), ...delayQueues.values()];
  const clash = all.find((name, i) => all.indexOf(name) !== i);
  if (clash)
    throw new Error(`queue name ${clash} is used twice (a job named like another's dead or retry queue)`);
  // A topic exchange reads * and # in a binding key as wildcards; a topic must only match itself.
  const wild = [...topology.keys()].find((t) => /[*#]/.test(t));
  if (wild) throw new Error(`topic ${wild} contains a wildcard character`);
  return {
    events: `${prefix}glimpse.events`,
    deadLetters: `${prefix}glimpse.dead`,
    retry: `${prefix}glimpse.retry`,
    returns: `${prefix}glimpse.return`,
    delays: delayQueues,
    queues,
  };
}

/** Idempotent: run on every (re)connect, so a broker that lost its definitions gets them back. */
export async function declareTopology(ch: Channel, names: RabbitMqNames, topology: Topology): Promise<void> {
  await ch.assertExchange(names.events, 'topic', { durable: true });
  await ch.assertExchange(names.deadLetters, 'direct', { durable: true });
  await ch.assertExchange(names.retry, 'headers', { durable: true });
  await ch.assertExchange(names.returns, 'direct', { durable: true });
  const quorum = (args: Record<string, unknown>) => ({
    durable: true,
    arguments: { 'x-queue-type': 'quorum', ...args },
  });
  const declared: Promise<unknown>[] = [];
  for (const q of names.queues.values()) {
    declared.push(ch.assertQueue(q.dead, quorum({ 'x-message-ttl': DEAD_LETTER_TTL_MS })));
    declared.push(ch.bindQueue(q.dead, names.deadLetters, q.work));
    declared.push(
      ch.assertQueue(
        q.work,
        quorum({
          'x-delivery-limit': DELIVERY_LIMIT,
          'x-dead-letter-exchange': names.deadLetters,
          'x-dead-letter-routing-key': q.work,
          ...SAFE_DEAD_LETTERING,
        }),
      ),
    );
    declared.push(ch.bindQueue(q.work, names.returns, q.work));
  }
  for (const [delay, name] of names.delays) {
    // No dead-letter routing key: an expired copy keeps the one it was published with, the work
    // queue's name, which `returns` routes back to that queue.
    declared.push(
      ch.assertQueue(
        name,
        quorum({ 'x-message-ttl': delay, 'x-dead-letter-exchange': names.returns, ...SAFE_DEAD_LETTERING }),
      ),
    );
    declared.push(ch.bindQueue(name, names.retry, '', { 'x-match': 'all', [DELAY_HEADER]: delay }));
  }
  for (const [topic, queues] of topology) {
    for (const queue of queues)
      declared.push(ch.bindQueue(names.queues.get(queue)!.work, names.events, topic));
  }
  // One channel runs its RPCs in order, so sending them together only saves the round trips.
  await Promise.all(declared);
}
