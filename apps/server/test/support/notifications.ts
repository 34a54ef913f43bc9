import { expect } from 'vitest';
import { SOURCE_TOPICS } from '../../src/notifications/sources.js';
import type { TestApp } from './app.js';
import { eventually } from './wait.js';

/**
 * Waits until the notifications job has handled every event it takes: each such outbox row
 * becomes one delivery, so the job's success count catches up with them. "Nothing was created"
 * is only worth asserting after this.
 */
export async function notificationsSettled(t: TestApp): Promise<void> {
  await eventually(async () => {
    const { n } = await t.infra.store.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('topic', 'in', SOURCE_TOPICS)
      .executeTakeFirstOrThrow();
    const done =
      (await t.metrics.jobs.get()).values.find(
        (v) => v.labels.queue === 'notifications.create' && v.labels.outcome === 'done',
      )?.value ?? 0;
    expect(done, 'notifications.create deliveries done vs events').toBeGreaterThanOrEqual(Number(n));
  }, 30_000);
}
