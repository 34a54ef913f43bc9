import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { RelationalStore } from '../ports/relational-store.js';
import { OUTBOX_CHANNEL } from './outbox.js';

/** Rows claimed per round: one INSERT (or one confirm batch) per round. */
const BATCH_SIZE = 500;
/** A claim outlives a relay that died mid-publish by this much; then another relay takes the rows. */
const CLAIM_MS = 30_000;
const MIN_IDLE_MS = 10;
/** Polling only covers notifications lost while a LISTEN connection reconnects. */
const MAX_IDLE_MS = 1_000;

interface OutboxRow {
  id: string;
  topic: string;
  payload: unknown;
}

/**
 * Moves committed outbox rows to the job queue. Claim (short transaction), publish (durable
 * when it resolves), then mark published: a crash between publish and mark republishes the
 * batch later, so delivery is at least once and consumers deduplicate by message id. Several
 * relays can run at once; SKIP LOCKED plus the claim keep them on different rows.
 */
export class OutboxRelay {
  #running: Promise<void> | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;
  /** A notification arrived while a round was running: go again instead of sleeping. */
  #pending = false;
  #listening: Promise<(() => Promise<void>) | null> | null = null;

  constructor(
    private readonly store: RelationalStore,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** Publishes one batch; returns how many events it moved. */
  async relayOnce(): Promise<number> {
    const { rows } = await sql<OutboxRow>`
      UPDATE outbox SET claimed_until = now() + ${CLAIM_MS}::double precision * interval '1 millisecond'
       WHERE id IN (
         SELECT id FROM outbox
          WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY id
          LIMIT ${BATCH_SIZE}
          FOR UPDATE SKIP LOCKED)
      RETURNING id, topic, payload`.execute(this.store.db);
    if (rows.length === 0) return 0;
    rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const ids = rows.map((r) => r.id);
    try {
      await this.queue.publish(
        rows.map((r) => ({ id: `outbox:${r.id}`, topic: r.topic, payload: r.payload })),
      );
    } catch (err) {
      // The broker refused (restarting, unreachable): hand the rows back now instead of leaving
      // them claimed for CLAIM_MS, so they go out as soon as it answers again. The claim still
      // covers a relay that dies here.
      await this.store.db
        .updateTable('outbox')
        .set({ claimed_until: null })
        .where('id', 'in', ids)
        .where('published_at', 'is', null)
        .execute()
        .catch((releaseErr: unknown) =>
          this.log.warn({ err: releaseErr }, 'could not release outbox claims'),
        );
      throw err;
    }
    await this.store.db
      .updateTable('outbox')
      .set({ published_at: sql<Date>`now()`, claimed_until: null })
      .where('id', 'in', ids)
      .execute();
    this.metrics?.outboxPublished.inc(rows.length);
    return rows.length;
  }

  /** Relays until stop(): woken by the outbox's NOTIFY on commit, polling as the fallback. */
  start(): void {
    if (this.#running) return;
    this.#stopped = false;
    this.#listening = this.store
      .listen(OUTBOX_CHANNEL, () => this.#notified())
      .catch((err: unknown) => {
        this.log.warn({ err }, 'cannot LISTEN for outbox events; relying on polling');
        return null;
      });
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#running;
    this.#running = null;
    const unlisten = await this.#listening;
    this.#listening = null;
    await unlisten?.();
  }

  #notified(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    let idleMs = MIN_IDLE_MS;
    while (!this.#stopped) {
      let moved = 0;
      this.#pending = false;
      try {
        moved = await this.relayOnce();
      } catch (err) {
        this.log.error({ err }, 'outbox relay round failed; retrying');
        idleMs = MAX_IDLE_MS;
      }
      if (moved === BATCH_SIZE || this.#pending) continue;
      idleMs = moved > 0 ? MIN_IDLE_MS : Math.min(idleMs * 2, MAX_IDLE_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
