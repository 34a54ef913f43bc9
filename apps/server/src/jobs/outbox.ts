import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Topic, TopicPayload } from './catalogue.js';

export interface OutboxEvent<T extends Topic = Topic> {
  readonly topic: T;
  /** The id of the row the event is about (its distribution key). */
  readonly aggregateId: string;
  readonly payload: TopicPayload<T>;
}

/**
 * Records events in the same transaction as the write they describe: either both commit or
 * neither does, so no committed write is ever missing its event. The relay publishes them.
 */
export async function appendToOutbox(
  trx: Transaction<Database>,
  events: readonly OutboxEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      events.map((e) => ({
        topic: e.topic,
        aggregate_id: e.aggregateId,
        payload: JSON.stringify(e.payload),
      })),
    )
    .execute();
  // Delivered when the transaction commits (never if it rolls back): relays wake at once
  // instead of at their next poll.
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

/** The channel appendToOutbox notifies on commit. */
export const OUTBOX_CHANNEL = 'glimpse_outbox';
