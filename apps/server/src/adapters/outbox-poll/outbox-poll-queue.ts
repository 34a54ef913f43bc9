import { sql } from 'kysely';
import type { Logger } from 'pino';
import {
  PoisonMessageError,
  type ConsumeOptions,
  type Delivery,
  type JobQueue,
  type QueueMessage,
  type QueueStats,
  type Topology,
} from '../../ports/job-queue.js';
import type { RelationalStore } from '../../ports/relational-store.js';

export interface OutboxPollOptions {
  /** Longest sleep between polls of an idle queue; a busy queue is polled again at once. */
  readonly maxPollIntervalMs: number;
  /** First retry delay; each later attempt waits 4x longer, up to `maxRetryDelayMs`. */
  readonly retryBaseMs: number;
  readonly maxRetryDelayMs: number;
  readonly log: Logger;
}

export const DEFAULT_OUTBOX_POLL_OPTIONS = {
  maxPollIntervalMs: 1_000,
  retryBaseMs: 1_000,
  maxRetryDelayMs: 300_000,
} as const;

/** Publishes notify this channel; consumers in every process LISTEN to it. */
const JOBS_CHANNEL = 'glimpse_jobs';
/** Rows per INSERT when publishing: keeps statements well under PostgreSQL's 65,535 parameters. */
const PUBLISH_CHUNK = 1_000;
/** A claimed job whose worker died becomes claimable again this long after its timeout. */
const LEASE_MARGIN_MS = 5_000;

interface ClaimedJob {
  id: string;
  message_id: string;
  topic: string;
  payload: unknown;
  attempts: number;
}

/**
 * The embedded shape's durable queue: one `queue_jobs` row per (queue, message), claimed with
 * FOR UPDATE SKIP LOCKED so any number of worker processes compete safely. A claim is a lease:
 * if the worker dies, the row is claimable again once the lease runs out, and the attempt it
 * used still counts, so a message that kills its worker ends in the dead-letter state instead
 * of looping forever.
 */
export class OutboxPollQueue implements JobQueue {
  readonly kind = 'outbox-poll' as const;
  readonly #loops: Promise<void>[] = [];
  readonly #wakers = new Map<string, Set<() => void>>();
  #closed = false;
  #unlisten: Promise<(() => Promise<void>) | null> | null = null;

  constructor(
    private readonly store: RelationalStore,
    private readonly topology: Topology,
    private readonly options: OutboxPollOptions,
  ) {}

  async publish(messages: readonly QueueMessage[]): Promise<void> {
    const rows = messages.flatMap((m) =>
      (this.topology.get(m.topic) ?? []).map((queue) => ({
        queue,
        message_id: m.id,
        topic: m.topic,
        payload: JSON.stringify(m.payload ?? null),
      })),
    );
    for (let i = 0; i < rows.length; i += PUBLISH_CHUNK) {
      await this.store.db
        .insertInto('queue_jobs')
        .values(rows.slice(i, i + PUBLISH_CHUNK))
        .onConflict((oc) => oc.columns(['queue', 'message_id']).doNothing())
        .execute();
    }
    const queues = [...new Set(rows.map((r) => r.queue))];
    for (const queue of queues) this.#wake(queue);
    // Consumers in other processes wake at once too (not at their next poll).
    if (queues.length > 0) {
      await sql`SELECT pg_notify(${JOBS_CHANNEL}, q) FROM unnest(${queues}::text[]) AS q`.execute(
        this.store.db,
      );
    }
  }

  consume(queue: string, handler: (delivery: Delivery) => Promise<void>, options: ConsumeOptions): void {
    if (this.#closed) throw new Error('queue is closed');
    this.#unlisten ??= this.store
      .listen(JOBS_CHANNEL, () => {
        // The payload names the queue, but PGlite and pg differ in passing it; waking every
        // local consumer costs one cheap claim query each.
        for (const name of this.#wakers.keys()) this.#wake(name);
      })
      .catch((err: unknown) => {
        this.options.log.warn({ err }, 'cannot LISTEN for new jobs; relying on polling');
        return null;
      });
    this.#loops.push(this.#loop(queue, handler, options));
  }

  async stats(): Promise<QueueStats[]> {
    const rows = await this.store.db
      .selectFrom('queue_jobs')
      .select(['queue'])
      .select(sql<string>`count(*) FILTER (WHERE dead_at IS NULL)`.as('ready'))
      .select(sql<string>`count(*) FILTER (WHERE dead_at IS NOT NULL)`.as('dead'))
      .groupBy('queue')
      .execute();
    const byQueue = new Map(rows.map((r) => [r.queue, r]));
    const queues = new Set([...this.topology.values()].flat().concat(rows.map((r) => r.queue)));
    return [...queues].sort().map((queue) => ({
      queue,
      ready: Number(byQueue.get(queue)?.ready ?? 0),
      dead: Number(byQueue.get(queue)?.dead ?? 0),
    }));
  }

  async ping(): Promise<void> {
    await this.store.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const unlisten = await this.#unlisten;
    this.#unlisten = null;
    await unlisten?.();
    for (const wakers of this.#wakers.values()) for (const wake of wakers) wake();
    await Promise.all(this.#loops);
  }

  async #loop(
    queue: string,
    handler: (d: Delivery) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    let idleMs = 10;
    while (!this.#closed) {
      const free = options.concurrency - running.size;
      let claimed: ClaimedJob[] = [];
      if (free > 0) {
        try {
          claimed = await this.#claim(queue, free, options.timeoutMs + LEASE_MARGIN_MS);
        } catch (err) {
          this.options.log.error({ err, queue }, 'claiming jobs failed; retrying');
        }
      }
      for (const job of claimed) {
        const run = this.#run(queue, job, handler, options).finally(() => running.delete(run));
        running.add(run);
      }
      if (claimed.length > 0 && claimed.length === free) {
        idleMs = 10;
        continue;
      }
      // Sleep until a job finishes (a slot frees up), a local publish wakes us, or the poll timer fires.
      await this.#sleep(queue, idleMs, running);
      idleMs = claimed.length > 0 ? 10 : Math.min(idleMs * 2, this.options.maxPollIntervalMs);
    }
    await Promise.allSettled(running);
  }

  async #claim(queue: string, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
    const { rows } = await sql<ClaimedJob>`
      UPDATE queue_jobs
         SET attempts = attempts + 1,
             locked_until = now() + ${leaseMs}::double precision * interval '1 millisecond'
       WHERE id IN (
         SELECT id FROM queue_jobs
          WHERE queue = ${queue} AND dead_at IS NULL AND run_at <= now()
            AND (locked_until IS NULL OR locked_until < now())
          ORDER BY run_at, id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING id, message_id, topic, payload, attempts`.execute(this.store.db);
    return rows;
  }

  async #run(
    queue: string,
    job: ClaimedJob,
    handler: (d: Delivery) => Promise<void>,
    options: ConsumeOptions,
  ): Promise<void> {
    const log = this.options.log.child({ queue, messageId: job.message_id, attempt: job.attempts });
    if (job.attempts > options.maxAttempts) {
      // Earlier deliveries never reported back: their worker died or hung past its lease.
      await this.#settle(job, 'dead', 'delivery limit reached without an outcome (worker crashed or hung)');
      log.error('job dead-lettered: delivery limit reached without an outcome');
      return;
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        handler({
          id: job.message_id,
          queue,
          topic: job.topic,
          payload: job.payload,
          attempt: job.attempts,
          signal: controller.signal,
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new Error(`timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs);
        }),
      ]);
      await this.#settle(job, 'done');
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (err instanceof PoisonMessageError || job.attempts >= options.maxAttempts) {
        log.error({ reason }, 'job dead-lettered');
        await this.#settle(job, 'dead', reason);
      } else {
        log.warn({ reason }, 'job failed; will retry');
        await this.#settle(job, 'retry', reason);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records the outcome of one delivery. `attempts` fences out a delivery whose lease expired and was re-claimed. */
  async #settle(job: ClaimedJob, outcome: 'done' | 'retry' | 'dead', reason?: string): Promise<void> {
    try {
      const db = this.store.db;
      if (outcome === 'done') {
        await db
          .deleteFrom('queue_jobs')
          .where('id', '=', job.id)
          .where('attempts', '=', job.attempts)
          .execute();
        return;
      }
      const delayMs = Math.min(
        this.options.retryBaseMs * 4 ** (job.attempts - 1),
        this.options.maxRetryDelayMs,
      );
      await db
        .updateTable('queue_jobs')
        .set({
          locked_until: null,
          last_error: (reason ?? '').slice(0, 2_000),
          ...(outcome === 'dead'
            ? { dead_at: sql<Date>`now()` }
            : { run_at: sql<Date>`now() + ${delayMs}::double precision * interval '1 millisecond'` }),
        })
        .where('id', '=', job.id)
        .where('attempts', '=', job.attempts)
        .execute();
    } catch (err) {
      // The lease runs out and the job is delivered again: at least once, never lost.
      this.options.log.error({ err, messageId: job.message_id }, 'recording a job outcome failed');
    }
  }

  #wake(queue: string): void {
    for (const wake of this.#wakers.get(queue) ?? []) wake();
  }

  #sleep(queue: string, ms: number, running: Set<Promise<void>>): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(queue);
      if (!wakers) this.#wakers.set(queue, (wakers = new Set()));
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
      if (running.size > 0) void Promise.race(running).then(done, done);
    });
  }
}
