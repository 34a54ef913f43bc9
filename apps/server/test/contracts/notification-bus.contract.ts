import { describe, expect, it } from 'vitest';
import type { NotificationBus, NotificationEvent } from '../../src/ports/notification-bus.js';

/**
 * Two ends of one bus: `publisher` as a worker process holds it, `subscriber` as an API process
 * does. For the in-process adapter both are the same object; for Redis they are separate
 * connections, so every test here also proves the event crossed Redis.
 */
export interface BusPair {
  readonly publisher: NotificationBus;
  readonly subscriber: NotificationBus;
  close(): Promise<void>;
}

/** Waits until `received` holds `n` events (or fails after `ms`, naming what did arrive). */
async function until(received: NotificationEvent[], n: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (received.length < n) {
    if (Date.now() > deadline) throw new Error(`got ${received.length} of ${n}: ${JSON.stringify(received)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** After a round trip that must arrive, nothing else should have: a later marker proves the quiet. */
async function settle(pair: BusPair, marker: string): Promise<void> {
  const seen: NotificationEvent[] = [];
  const stop = await pair.subscriber.subscribe(marker, (e) => seen.push(e));
  await pair.publisher.publish([{ id: '1', recipientId: marker }]);
  await until(seen, 1);
  stop();
}

let n = 0;
const user = () => `${Date.now()}${++n}`;

export function notificationBusContract(name: string, make: () => Promise<BusPair>) {
  describe(`NotificationBus contract: ${name}`, () => {
    it('delivers an event to the subscribers of its recipient only, with its id', async () => {
      const pair = await make();
      try {
        const [alice, bob] = [user(), user()];
        const forAlice: NotificationEvent[] = [];
        const forBob: NotificationEvent[] = [];
        await pair.subscriber.subscribe(alice, (e) => forAlice.push(e));
        await pair.subscriber.subscribe(bob, (e) => forBob.push(e));
        await pair.publisher.publish([
          { id: '101', recipientId: alice },
          { id: '102', recipientId: alice },
        ]);
        await until(forAlice, 2);
        await settle(pair, user());
        expect(forAlice).toEqual([
          { id: '101', recipientId: alice },
          { id: '102', recipientId: alice },
        ]);
        expect(forBob).toEqual([]);
      } finally {
        await pair.close();
      }
    });

    it('gives every subscription of one recipient its copy (two tabs), and unsubscribing stops one', async () => {
      const pair = await make();
      try {
        const alice = user();
        const tab1: NotificationEvent[] = [];
        const tab2: NotificationEvent[] = [];
        const closeTab1 = await pair.subscriber.subscribe(alice, (e) => tab1.push(e));
        await pair.subscriber.subscribe(alice, (e) => tab2.push(e));
        await pair.publisher.publish([{ id: '7', recipientId: alice }]);
        await until(tab1, 1);
        await until(tab2, 1);
        closeTab1();
        closeTab1(); // twice is harmless
        await pair.publisher.publish([{ id: '8', recipientId: alice }]);
        await until(tab2, 2);
        await settle(pair, user());
        expect(tab1.map((e) => e.id)).toEqual(['7']);
        expect(tab2.map((e) => e.id)).toEqual(['7', '8']);
      } finally {
        await pair.close();
      }
    });

    it('keeps delivering to the others when one listener throws', async () => {
      const pair = await make();
      try {
        const alice = user();
        const got: NotificationEvent[] = [];
        await pair.subscriber.subscribe(alice, () => {
          throw new Error('a broken stream');
        });
        await pair.subscriber.subscribe(alice, (e) => got.push(e));
        await pair.publisher.publish([{ id: '9', recipientId: alice }]);
        await pair.publisher.publish([{ id: '10', recipientId: alice }]);
        await until(got, 2);
        expect(got.map((e) => e.id)).toEqual(['9', '10']);
      } finally {
        await pair.close();
      }
    });

    it('publishes nothing for an empty batch, and delivers large batches whole and in order', async () => {
      const pair = await make();
      try {
        const alice = user();
        const got: NotificationEvent[] = [];
        await pair.subscriber.subscribe(alice, (e) => got.push(e));
        await pair.publisher.publish([]);
        const ids = Array.from({ length: 500 }, (_, i) => String(1_000_000_000_000 + i));
        await pair.publisher.publish(ids.map((id) => ({ id, recipientId: alice })));
        await until(got, 500);
        expect(got.map((e) => e.id)).toEqual(ids);
      } finally {
        await pair.close();
      }
    });

    it('delivers nothing after close', async () => {
      const pair = await make();
      const alice = user();
      const got: NotificationEvent[] = [];
      await pair.subscriber.subscribe(alice, (e) => got.push(e));
      await pair.subscriber.close();
      await pair.publisher.publish([{ id: '11', recipientId: alice }]).catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([]);
      await pair.close();
    });
  });
}
