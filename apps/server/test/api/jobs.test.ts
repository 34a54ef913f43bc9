import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/jobs/catalogue.js';
import { appendToOutbox } from '../../src/jobs/outbox.js';
import { OutboxRelay } from '../../src/jobs/relay.js';
import { assertHandlersComplete, startWorkers } from '../../src/jobs/runner.js';
import { MaintenanceScheduler } from '../../src/jobs/scheduler.js';
import { createJobHandlers } from '../../src/wiring.js';
import { waitFor } from '../contracts/job-queue.contract.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { registerUser } from '../support/client.js';

const log = pino({ level: 'silent' });

describe('the job catalogue', () => {
  it('refuses to start when a job has no handler, or a handler no job', () => {
    const handlers = Object.fromEntries(Object.keys(jobs).map((j) => [j, async () => {}]));
    expect(() => assertHandlersComplete(handlers)).not.toThrow();
    const { ['outbox.prune']: _dropped, ...missing } = handlers;
    expect(() => assertHandlersComplete(missing)).toThrow('jobs without a handler: outbox.prune');
    expect(() => assertHandlersComplete({ ...handlers, 'media.teleport': async () => {} })).toThrow(
      'handlers for jobs not in the catalogue: media.teleport',
    );
  });
});

for (const shape of await availableShapes()) {
  describe(`maintenance jobs through the real queue (${shape})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(shape);
      startWorkers(t.infra.queue, createJobHandlers(t.infra, t.config, log, t.metrics), log, t.metrics);
    });
    afterAll(() => t?.close());

    const deadLetters = () =>
      t.infra.store.db
        .selectFrom('queue_jobs')
        .select(['queue', 'last_error'])
        .where('dead_at', 'is not', null)
        .execute();

    it('the hourly tick prunes long-ended sessions and old outbox rows, and nothing newer', async () => {
      const user = await registerUser(t.app);
      const db = t.infra.store.db;
      await sql`
        INSERT INTO sessions (id, user_id, expires_at, revoked_at, created_at)
        VALUES (next_id(shard_of(${user.user.id}::bigint)), ${user.user.id}, now() + interval '1 day', now() - interval '8 days', now() - interval '9 days'),
               (next_id(shard_of(${user.user.id}::bigint)), ${user.user.id}, now() - interval '8 days', NULL, now() - interval '40 days')`.execute(
        db,
      );
      await db
        .transaction()
        .execute((trx) =>
          appendToOutbox(trx, [
            { topic: 'maintenance.hourly', aggregateId: '1', payload: { hour: new Date().toISOString() } },
          ]),
        );
      await sql`UPDATE outbox SET published_at = now() - interval '8 days'`.execute(db);
      const count = async (table: 'sessions' | 'outbox') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select(sql<string>`count(*)`.as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await count('sessions')).toBe(3);

      const scheduler = new MaintenanceScheduler(t.infra.store.db, t.infra.queue, log);
      scheduler.start();
      scheduler.stop();
      await waitFor(async () => (await count('sessions')) === 1 && (await count('outbox')) === 0);
      // The registration's own live session is kept.
      expect((await db.selectFrom('sessions').select('user_id').executeTakeFirstOrThrow()).user_id).toBe(
        user.user.id,
      );
      await waitFor(async () => (await t.infra.queue.stats()).every((q) => q.ready === 0));
      expect(await deadLetters()).toEqual([]);
    });

    it('two workers scheduling the same slot run each job once', async () => {
      // Only the hourly jobs are counted: the frequent tick's jobs run at every start too.
      const hourly = new Set(
        Object.entries(jobs)
          .filter(([, job]) => (job.topics as readonly string[]).includes('maintenance.hourly'))
          .map(([name]) => name),
      );
      const done = async () =>
        (await t.metrics.registry.getSingleMetric('glimpse_jobs_total')!.get()).values
          .filter((v) => v.labels.outcome === 'done' && hourly.has(String(v.labels.queue)))
          .reduce((sum, v) => sum + v.value, 0);
      // The previous test's tick ran both jobs; let those finish before counting.
      await waitFor(async () => (await done()) >= 2);
      const start = await done();
      const clock = () => Date.UTC(2030, 0, 1, 12, 30);
      const workers = [1, 2].map(() => new MaintenanceScheduler(t.infra.store.db, t.infra.queue, log, clock));
      workers.forEach((w) => w.start());
      workers.forEach((w) => w.stop());
      // One hourly tick → accounts.prune-sessions and outbox.prune, once each.
      await waitFor(async () => (await done()) - start >= 2);
      await new Promise((r) => setTimeout(r, 300));
      expect((await done()) - start).toBe(2);
    });

    it('a malformed event travels outbox → relay → queue and lands in the dead-letter queue with its reason', async () => {
      await t.infra.store.db
        .transaction()
        .execute((trx) =>
          appendToOutbox(trx, [
            { topic: 'maintenance.hourly', aggregateId: '1', payload: { hour: 'yesterday-ish' } as never },
          ]),
        );
      const relay = new OutboxRelay(t.infra.store, t.infra.queue, log);
      expect(await relay.relayOnce()).toBe(1);
      const deadByQueue = async () =>
        Object.fromEntries((await t.infra.queue.stats()).map((q) => [q.queue, q.dead]));
      const dead = await waitFor(async () => {
        const d = await deadByQueue();
        return d['accounts.prune-sessions'] === 1 && d['outbox.prune'] === 1 ? d : undefined;
      });
      expect(dead['media.process']).toBe(0);
      if (shape === 'embedded') {
        // The reason is kept with the dead letter (RabbitMQ's header form: rabbitmq.test.ts).
        for (const d of await deadLetters()) {
          expect(d.last_error).toMatch(/PoisonMessageError: invalid maintenance.hourly payload: \/hour/);
        }
      }
      // The workers are still serving.
      expect((await t.infra.queue.stats()).every((q) => q.ready === 0)).toBe(true);
    });
  });
}
