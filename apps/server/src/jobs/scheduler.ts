import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import type { JobQueue } from '../ports/job-queue.js';

const TICKS = [
  { topic: 'maintenance.hourly', everyMs: 3_600_000, payload: (slot: string) => ({ hour: slot }) },
  { topic: 'maintenance.frequent', everyMs: 300_000, payload: (slot: string) => ({ at: slot }) },
] as const;

/**
 * Publishes the maintenance ticks: `maintenance.hourly`, and `maintenance.frequent` every five
 * minutes. Every worker process runs a scheduler; for each slot they race to insert a
 * `scheduled_ticks` row and only the winner publishes, so a tick runs once however many workers
 * there are, on any queue adapter. A crash between claim and publish skips one slot; the next
 * slot catches up, and the handlers are idempotent anyway.
 */
export class MaintenanceScheduler {
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly db: Executor,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Publishes the current slot's ticks (catching up after a restart), then one per slot. */
  start(): void {
    this.#stopped = false;
    for (const tick of TICKS) {
      const run = async () => {
        const slot = new Date(Math.floor(this.now() / tick.everyMs) * tick.everyMs).toISOString();
        try {
          if (await this.#claim(tick.topic, slot)) {
            await this.queue.publish([
              { id: `${tick.topic}:${slot}`, topic: tick.topic, payload: tick.payload(slot) },
            ]);
          }
        } catch (err) {
          this.log.warn(
            { err, topic: tick.topic },
            'could not publish a maintenance tick; the next one will',
          );
        }
        // stop() may have run while the claim or the publish was in flight.
        if (this.#stopped) return;
        const timer = setTimeout(
          () => {
            this.#timers.delete(timer);
            void run();
          },
          tick.everyMs - (this.now() % tick.everyMs) + 1_000,
        );
        timer.unref();
        this.#timers.add(timer);
      };
      void run();
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #claim(topic: string, slot: string): Promise<boolean> {
    const won = await this.db
      .insertInto('scheduled_ticks')
      .values({ topic, slot })
      .onConflict((oc) => oc.columns(['topic', 'slot']).doNothing())
      .returning('topic')
      .executeTakeFirst();
    return won !== undefined;
  }
}
