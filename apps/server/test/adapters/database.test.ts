import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_OUTBOX_POLL_OPTIONS,
  OutboxPollQueue,
} from '../../src/adapters/outbox-poll/outbox-poll-queue.js';
import { openPGlite } from '../../src/adapters/pglite/pglite-store.js';
import { openPostgres } from '../../src/adapters/postgres/postgres-store.js';
import { loadMigrations, migrate, MigrationError, type Migration } from '../../src/db/migrator.js';
import { appendToOutbox } from '../../src/jobs/outbox.js';
import { OutboxRelay } from '../../src/jobs/relay.js';
import type { JobQueue, QueueMessage, Topology } from '../../src/ports/job-queue.js';
import type { RelationalStore } from '../../src/ports/relational-store.js';
import { jobQueueContract, waitFor } from '../contracts/job-queue.contract.js';
import { relationalStoreContract } from '../contracts/relational-store.contract.js';
import { createTestDatabase, postgresAvailable } from '../support/services.js';

const log = pino({ level: 'silent' });
const fastPoll = { ...DEFAULT_OUTBOX_POLL_OPTIONS, maxPollIntervalMs: 50, retryBaseMs: 20, log };

interface Backend {
  name: string;
  /** A migrated store shared by the file's tests. */
  store: () => RelationalStore;
  /** A brand-new, empty database. */
  fresh: () => Promise<{ stores: (n: number) => RelationalStore[]; drop: () => Promise<void> }>;
}

const backends: Backend[] = [];
let pglite: RelationalStore;
backends.push({
  name: 'PGlite',
  store: () => pglite,
  fresh: async () => {
    const store = await openPGlite(undefined);
    return { stores: () => [store], drop: () => store.close() };
  },
});

const pgUp = await postgresAvailable();
let pgShared: { store: RelationalStore; drop: () => Promise<void> } | null = null;
if (pgUp) {
  backends.push({
    name: 'PostgreSQL',
    store: () => pgShared!.store,
    fresh: async () => {
      const db = await createTestDatabase();
      const opened: RelationalStore[] = [];
      return {
        stores: (n) => {
          for (let i = 0; i < n; i++) opened.push(openPostgres({ url: db.url, poolSize: 4 }));
          return opened.slice(-n);
        },
        drop: async () => {
          for (const s of opened) await s.close();
          await db.drop();
        },
      };
    },
  });
}

beforeAll(async () => {
  pglite = await openPGlite(undefined);
  await migrate(pglite);
  if (pgUp) {
    const db = await createTestDatabase();
    const store = openPostgres({ url: db.url, poolSize: 8 });
    await migrate(store);
    pgShared = { store, drop: async () => (await store.close(), await db.drop()) };
  }
});
afterAll(async () => {
  await pglite?.close();
  await pgShared?.drop();
});

for (const backend of backends) {
  relationalStoreContract(backend.name, backend.store);

  jobQueueContract(
    `outbox-poll on ${backend.name}`,
    async (topology) => new OutboxPollQueue(backend.store(), topology, fastPoll),
  );

  describe(`migrations on ${backend.name}`, () => {
    const m = (version: number, name: string, body: string): Migration => ({
      version,
      name,
      sql: body,
      checksum: `c${version}:${body}`,
    });

    it('applies the shipped migrations to an empty database, then nothing', async () => {
      const { stores, drop } = await backend.fresh();
      const [store] = stores(1);
      try {
        const shipped = await loadMigrations();
        expect((await migrate(store!)).applied.map((x) => x.version)).toEqual(shipped.map((x) => x.version));
        expect((await migrate(store!)).applied).toEqual([]);
      } finally {
        await drop();
      }
    });

    it('rolls a failing migration back whole and names it', async () => {
      const { stores, drop } = await backend.fresh();
      const [store] = stores(1);
      try {
        const bad = m(2, 'broken', 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;');
        await expect(migrate(store!, [m(1, 'ok', 'CREATE TABLE fine (id int);'), bad])).rejects.toThrow(
          /2_broken failed/,
        );
        const { rows } = await sql<{ t: string | null }>`SELECT to_regclass('half_done')::text AS t`.execute(
          store!.db,
        );
        expect(rows[0]!.t).toBeNull();
        const again = await migrate(store!, [
          m(1, 'ok', 'CREATE TABLE fine (id int);'),
          m(2, 'fixed', 'SELECT 1;'),
        ]);
        expect(again.applied.map((x) => x.name)).toEqual(['fixed']);
      } finally {
        await drop();
      }
    });

    it('refuses an edited migration and a database newer than the code', async () => {
      const { stores, drop } = await backend.fresh();
      const [store] = stores(1);
      try {
        await migrate(store!, [m(1, 'one', 'SELECT 1;'), m(2, 'two', 'SELECT 2;')]);
        await expect(migrate(store!, [m(1, 'one', 'SELECT 11;'), m(2, 'two', 'SELECT 2;')])).rejects.toThrow(
          /was edited after it was applied/,
        );
        await expect(migrate(store!, [m(1, 'one', 'SELECT 1;')])).rejects.toThrow(MigrationError);
      } finally {
        await drop();
      }
    });

    it.skipIf(backend.name !== 'PostgreSQL')(
      'lets several processes start at once: one migrates, all succeed',
      async () => {
        const { stores, drop } = await backend.fresh();
        try {
          const results = await Promise.all(stores(4).map((s) => migrate(s)));
          expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
        } finally {
          await drop();
        }
      },
    );
  });

  describe(`outbox relay on ${backend.name}`, () => {
    const topology: Topology = new Map([['relay.test', ['relay.q']]]);

    /** A queue that records what it was asked to publish, and can fail on demand. */
    class RecordingQueue extends OutboxPollQueue {
      published: QueueMessage[] = [];
      failNext = false;
      override async publish(messages: readonly QueueMessage[]): Promise<void> {
        if (this.failNext) {
          this.failNext = false;
          await super.publish(messages); // durable, but the relay never hears back
          throw new Error('connection lost after publishing');
        }
        this.published.push(...messages);
        return super.publish(messages);
      }
    }

    const event = (n: number) => ({ topic: 'relay.test', aggregateId: String(n), payload: { n } }) as never;
    const pending = async (store: RelationalStore) =>
      Number(
        (
          await store.db
            .selectFrom('outbox')
            .select(sql<string>`count(*)`.as('n'))
            .where('published_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('publishes committed events in order and nothing from rolled-back transactions', async () => {
      const { stores, drop } = await backend.fresh();
      const [store] = stores(1);
      try {
        await migrate(store!);
        const queue = new RecordingQueue(store!, topology, fastPoll);
        await store!.db.transaction().execute((trx) => appendToOutbox(trx, [event(1), event(2)]));
        await store!.db
          .transaction()
          .execute(async (trx) => {
            await appendToOutbox(trx, [event(99)]);
            throw new Error('rolled back');
          })
          .catch(() => {});
        await store!.db.transaction().execute((trx) => appendToOutbox(trx, [event(3)]));
        const relay = new OutboxRelay(store!, queue, log);
        expect(await relay.relayOnce()).toBe(3);
        expect(queue.published.map((m) => (m.payload as { n: number }).n)).toEqual([1, 2, 3]);
        expect(await relay.relayOnce()).toBe(0);
        expect(await pending(store!)).toBe(0);
        await queue.close();
      } finally {
        await drop();
      }
    });

    it('a failed publish hands its rows back at once; a dead relay’s claim waits to expire; consumers see each event once', async () => {
      const { stores, drop } = await backend.fresh();
      const [store] = stores(1);
      try {
        await migrate(store!);
        const queue = new RecordingQueue(store!, topology, fastPoll);
        await store!.db.transaction().execute((trx) => appendToOutbox(trx, [event(1), event(2)]));
        const relay = new OutboxRelay(store!, queue, log);
        queue.failNext = true;
        await expect(relay.relayOnce()).rejects.toThrow('connection lost');
        expect(await pending(store!)).toBe(2);
        // The broker refused: the rows are free again, not stuck behind a 30 s claim.
        const claimed = await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM outbox WHERE claimed_until IS NOT NULL`.execute(store!.db);
        expect(Number(claimed.rows[0]!.n)).toBe(0);
        // A relay that died after claiming (no chance to hand back) holds them until the claim expires.
        await sql`UPDATE outbox SET claimed_until = now() + interval '30 seconds'`.execute(store!.db);
        expect(await relay.relayOnce()).toBe(0);
        await sql`UPDATE outbox SET claimed_until = now() - interval '1 second'`.execute(store!.db);
        expect(await relay.relayOnce()).toBe(2);
        const seen: unknown[] = [];
        queue.consume('relay.q', async (d) => void seen.push(d.payload), {
          concurrency: 1,
          maxAttempts: 1,
          timeoutMs: 1000,
        });
        await waitFor(() => seen.length === 2);
        await new Promise((r) => setTimeout(r, 150));
        expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
        await queue.close();
      } finally {
        await drop();
      }
    });

    it.skipIf(backend.name !== 'PostgreSQL')(
      'several relays share the work without publishing an event twice',
      async () => {
        const { stores, drop } = await backend.fresh();
        const all = stores(3);
        try {
          await migrate(all[0]!);
          for (let batch = 0; batch < 6; batch++) {
            await all[0]!.db.transaction().execute((trx) =>
              appendToOutbox(
                trx,
                Array.from({ length: 300 }, (_, i) => event(batch * 300 + i)),
              ),
            );
          }
          const queues = all.map((s) => new RecordingQueue(s, topology, fastPoll));
          const relays = all.map((s, i) => new OutboxRelay(s, queues[i]! as JobQueue, log));
          relays.forEach((r) => r.start());
          await waitFor(async () => (await pending(all[0]!)) === 0, 20_000);
          await Promise.all(relays.map((r) => r.stop()));
          const published = queues.flatMap((q) => q.published.map((m) => m.id));
          expect(published).toHaveLength(1800);
          expect(new Set(published).size).toBe(1800);
          await Promise.all(queues.map((q) => q.close()));
        } finally {
          await drop();
        }
      },
    );
  });

  describe(`outbox-poll specifics on ${backend.name}`, () => {
    it('deduplicates a message published twice (a relay retry) per queue', async () => {
      const topology: Topology = new Map([['dup.t', ['dup.q']]]);
      const queue = new OutboxPollQueue(backend.store(), topology, fastPoll);
      await queue.publish([{ id: 'same', topic: 'dup.t', payload: {} }]);
      await queue.publish([{ id: 'same', topic: 'dup.t', payload: {} }]);
      expect((await queue.stats()).find((s) => s.queue === 'dup.q')).toEqual({
        queue: 'dup.q',
        ready: 1,
        dead: 0,
      });
      await queue.close();
    });

    it('redelivers a job whose worker died, and dead-letters it once the delivery limit is used up', async () => {
      const topology: Topology = new Map([['crash.t', ['crash.q']]]);
      const queue = new OutboxPollQueue(backend.store(), topology, fastPoll);
      await queue.publish([{ id: 'crashy', topic: 'crash.t', payload: {} }]);
      // Simulate two deliveries whose workers died: attempts used, leases run out.
      await sql`UPDATE queue_jobs SET attempts = 2, locked_until = now() - interval '1 second' WHERE queue = 'crash.q'`.execute(
        backend.store().db,
      );
      const attempts: number[] = [];
      queue.consume('crash.q', async (d) => void attempts.push(d.attempt), {
        concurrency: 1,
        maxAttempts: 3,
        timeoutMs: 1000,
      });
      await waitFor(() => attempts.length === 1);
      expect(attempts).toEqual([3]);
      await queue.close();

      await queue.publish([{ id: 'crashy-2', topic: 'crash.t', payload: {} }]);
      await sql`UPDATE queue_jobs SET attempts = 3, locked_until = now() - interval '1 second' WHERE message_id = 'crashy-2'`.execute(
        backend.store().db,
      );
      const second = new OutboxPollQueue(backend.store(), topology, fastPoll);
      const ran: string[] = [];
      second.consume('crash.q', async (d) => void ran.push(d.id), {
        concurrency: 1,
        maxAttempts: 3,
        timeoutMs: 1000,
      });
      const row = await waitFor(async () =>
        backend
          .store()
          .db.selectFrom('queue_jobs')
          .select(['dead_at', 'last_error'])
          .where('message_id', '=', 'crashy-2')
          .where('dead_at', 'is not', null)
          .executeTakeFirst(),
      );
      expect(row.last_error).toMatch(/delivery limit reached/);
      expect(ran).toEqual([]);
      await second.close();
    });
  });
}
