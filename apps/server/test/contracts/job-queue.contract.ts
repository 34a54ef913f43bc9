import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PoisonMessageError,
  type Delivery,
  type JobQueue,
  type Topology,
} from '../../src/ports/job-queue.js';

/**
 * Fresh queue names and topics per test, so no test ever sees another's leftovers:
 * `thing.happened` goes to q.alpha and q.beta, `thing.other` to q.alpha only.
 */
function freshTopology() {
  const s = randomBytes(4).toString('hex');
  const names = {
    alpha: `q.alpha.${s}`,
    beta: `q.beta.${s}`,
    happened: `thing.happened.${s}`,
    other: `thing.other.${s}`,
  };
  const topology: Topology = new Map([
    [names.happened, [names.alpha, names.beta]],
    [names.other, [names.alpha]],
  ]);
  return { ...names, topology };
}

const fast = { concurrency: 2, maxAttempts: 3, timeoutMs: 2_000 };

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const id = () => randomBytes(6).toString('hex');

/**
 * What every JobQueue adapter must do. `make` builds a queue over a topology; calling it
 * twice gives two independent consumers of the same durable queues (two processes).
 */
export function jobQueueContract(name: string, make: (topology: Topology) => Promise<JobQueue>) {
  describe(`JobQueue contract: ${name}`, () => {
    it('delivers a published message to every queue bound to its topic, once', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      const seen: Delivery[] = [];
      queue.consume(t.alpha, async (d) => void seen.push(d), fast);
      queue.consume(t.beta, async (d) => void seen.push(d), fast);
      const mid = id();
      await queue.publish([{ id: mid, topic: t.happened, payload: { n: 1 } }]);
      await queue.publish([{ id: id(), topic: 'nobody.listens', payload: {} }]);
      await waitFor(() => seen.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.map((d) => d.queue).sort()).toEqual([t.alpha, t.beta].sort());
      expect(seen[0]).toMatchObject({ id: mid, topic: t.happened, payload: { n: 1 }, attempt: 1 });
      await queue.close();
    });

    it('retries a failing handler and then succeeds', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      const attempts: number[] = [];
      queue.consume(
        t.alpha,
        async (d) => {
          attempts.push(d.attempt);
          if (d.attempt < 3) throw new Error('transient');
        },
        fast,
      );
      await queue.publish([{ id: id(), topic: t.other, payload: {} }]);
      await waitFor(() => attempts.length === 3);
      // Long enough for any stray copy (a retry routed twice, a late redelivery) to show up.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(attempts).toEqual([1, 2, 3]);
      await queue.close();
    });

    it('dead-letters a message that keeps failing, with its reason, and keeps serving others', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      const done: string[] = [];
      queue.consume(
        t.alpha,
        async (d) => {
          if ((d.payload as { bad?: boolean }).bad) throw new Error('cannot handle this');
          done.push(d.id);
        },
        fast,
      );
      const good = id();
      await queue.publish([
        { id: id(), topic: t.other, payload: { bad: true } },
        { id: good, topic: t.other, payload: { bad: false } },
      ]);
      await waitFor(() => done.includes(good));
      const stats = await waitFor(async () => {
        const s = (await queue.stats()).find((q) => q.queue === t.alpha);
        return s && s.dead === 1 ? s : undefined;
      });
      expect(stats).toMatchObject({ dead: 1 });
      await queue.close();
    });

    it('sends a poison message straight to the dead-letter queue', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      const attempts: number[] = [];
      queue.consume(
        t.alpha,
        async (d) => {
          attempts.push(d.attempt);
          throw new PoisonMessageError('payload can never work');
        },
        fast,
      );
      await queue.publish([{ id: id(), topic: t.other, payload: {} }]);
      await waitFor(async () => ((await queue.stats()).find((q) => q.queue === t.alpha)?.dead ?? 0) >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(attempts).toEqual([1]);
      await queue.close();
    });

    it('fails a handler that outlives its timeout and aborts its signal', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      const aborted: boolean[] = [];
      queue.consume(
        t.alpha,
        (d) =>
          new Promise<void>((resolve) => {
            if (d.attempt === 1) d.signal.addEventListener('abort', () => aborted.push(true));
            else resolve();
          }),
        { concurrency: 1, maxAttempts: 3, timeoutMs: 150 },
      );
      await queue.publish([{ id: id(), topic: t.other, payload: {} }]);
      await waitFor(() => aborted.length === 1);
      await waitFor(async () => ((await queue.stats()).find((q) => q.queue === t.alpha)?.ready ?? 1) === 0);
      await queue.close();
    });

    it('runs at most `concurrency` handlers at once, and more than one', async () => {
      const t = freshTopology();
      const queue = await make(t.topology);
      let running = 0;
      let peak = 0;
      let finished = 0;
      queue.consume(
        t.alpha,
        async () => {
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 40));
          running--;
          finished++;
        },
        { concurrency: 4, maxAttempts: 1, timeoutMs: 5_000 },
      );
      await queue.publish(Array.from({ length: 20 }, () => ({ id: id(), topic: t.other, payload: {} })));
      await waitFor(() => finished === 20);
      expect(peak).toBeLessThanOrEqual(4);
      expect(peak).toBeGreaterThan(1);
      await queue.close();
    });

    it('competing consumers in two processes handle each message exactly once', async () => {
      const t = freshTopology();
      const [a, b] = [await make(t.topology), await make(t.topology)];
      const handled: string[] = [];
      const handler = async (d: Delivery) => {
        handled.push(d.id);
        await new Promise((r) => setTimeout(r, 5));
      };
      a.consume(t.alpha, handler, { concurrency: 3, maxAttempts: 3, timeoutMs: 5_000 });
      b.consume(t.alpha, handler, { concurrency: 3, maxAttempts: 3, timeoutMs: 5_000 });
      const ids = Array.from({ length: 60 }, id);
      await a.publish(ids.map((mid) => ({ id: mid, topic: t.other, payload: {} })));
      await waitFor(() => handled.length >= 60);
      await new Promise((r) => setTimeout(r, 200));
      expect([...handled].sort()).toEqual([...ids].sort());
      await Promise.all([a.close(), b.close()]);
    });

    it('keeps published messages until a consumer comes (durable across restarts)', async () => {
      const t = freshTopology();
      const publisher = await make(t.topology);
      const mid = id();
      await publisher.publish([{ id: mid, topic: t.other, payload: { kept: true } }]);
      await publisher.close();
      const consumer = await make(t.topology);
      const seen: Delivery[] = [];
      consumer.consume(t.alpha, async (d) => void seen.push(d), fast);
      const got = await waitFor(() => seen.find((d) => d.id === mid));
      expect(got.payload).toEqual({ kept: true });
      await consumer.close();
    });
  });
}
