import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { MediaRow } from './media-view.js';

export interface MediaRecord extends MediaRow {
  owner_id: string;
  content_type: string;
  size_bytes: string;
  requeues: number;
  completed_at: Date | null;
}

export const originalKey = (mediaId: string) => `media/${mediaId}/original`;
export const renditionKey = (mediaId: string, variant: string) => `media/${mediaId}/${variant}.webp`;

const selectMedia = (db: Executor) =>
  db
    .selectFrom('media')
    .innerJoin('users', 'users.id', 'media.owner_id')
    .select([
      'media.id',
      'media.owner_id',
      'media.status',
      'media.content_type',
      'media.size_bytes',
      'media.width',
      'media.height',
      'media.blurhash',
      'media.dominant_color',
      'media.error_code',
      'media.error_message',
      'media.rendition_source_id',
      'media.requeues',
      'media.completed_at',
      'users.is_private as owner_private',
    ]);

export async function findMedia(db: Executor, id: string): Promise<MediaRecord | null> {
  return (await selectMedia(db).where('media.id', '=', id).executeTakeFirst()) ?? null;
}

/** The id takes the owner's shard bits: media lives with its owner's rows. */
export async function insertMedia(
  db: Executor,
  media: { ownerId: string; contentType: string; sizeBytes: number },
): Promise<MediaRecord> {
  const { id } = await db
    .insertInto('media')
    .values({
      id: sql<string>`next_id(shard_of(${media.ownerId}::bigint))`,
      owner_id: media.ownerId,
      status: 'uploading',
      content_type: media.contentType,
      size_bytes: String(media.sizeBytes),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await findMedia(db, id))!;
}

/** Bytes of originals the owner keeps (failed uploads do not count against the quota). */
export async function usedBytes(db: Executor, ownerId: string): Promise<number> {
  const row = await db
    .selectFrom('media')
    .select(sql<string>`coalesce(sum(size_bytes), 0)`.as('bytes'))
    .where('owner_id', '=', ownerId)
    .where('status', '<>', 'failed')
    .executeTakeFirstOrThrow();
  return Number(row.bytes);
}

/** uploading → processing, once: returns false when another call got there first. */
export async function markProcessing(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('media')
    .set({ status: 'processing', completed_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('status', '=', 'uploading')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface ProcessingResult {
  width: number;
  height: number;
  blurhash: string;
  dominantColor: string;
  phash: string;
  sha256: Buffer;
  renditionSourceId: string | null;
}

/** processing → ready; false when the item was no longer processing (a duplicate delivery). */
export async function markReady(db: Executor, id: string, result: ProcessingResult): Promise<boolean> {
  const updated = await db
    .updateTable('media')
    .set({
      status: 'ready',
      width: result.width,
      height: result.height,
      blurhash: result.blurhash,
      dominant_color: result.dominantColor,
      phash: result.phash,
      sha256: result.sha256,
      rendition_source_id: result.renditionSourceId,
      error_code: null,
      error_message: null,
      processed_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Fails the items that are still uploading or processing; returns the ids it changed. */
export async function markFailed(
  db: Executor,
  ids: readonly string[],
  error: { code: string; message: string },
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('media')
    .set({
      status: 'failed',
      error_code: error.code,
      error_message: error.message.slice(0, 500),
      updated_at: sql<Date>`now()`,
    })
    .where('id', 'in', ids)
    .where('status', 'in', ['uploading', 'processing'])
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** An earlier ready upload of the same bytes by the same owner, whose renditions can be shared. */
export async function findReadyDuplicate(
  db: Executor,
  ownerId: string,
  sha256: Buffer,
  excludeId: string,
): Promise<(MediaRecord & { phash: string | null }) | null> {
  const row = await selectMedia(db)
    .select('media.phash')
    .where('media.owner_id', '=', ownerId)
    .where('media.sha256', '=', sha256)
    .where('media.status', '=', 'ready')
    .where('media.id', '<>', excludeId)
    .orderBy('media.id')
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** Items stuck in `processing` since before `cutoffMs` ago: their job was lost or keeps dying. */
export async function findStalled(db: Executor, cutoffMs: number, limit: number) {
  return db
    .selectFrom('media')
    .select(['id', 'requeues'])
    .where('status', '=', 'processing')
    .where('updated_at', '<', sql<Date>`now() - ${cutoffMs}::double precision * interval '1 millisecond'`)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}

export async function markRequeued(db: Executor, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('media')
    .set({ requeues: sql<number>`requeues + 1`, updated_at: sql<Date>`now()` })
    .where('id', 'in', ids)
    .where('status', '=', 'processing')
    .execute();
}

/** Slots nobody uploaded to: the URL expired long ago. */
export async function deleteAbandonedUploads(
  db: Executor,
  olderThanMs: number,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .deleteFrom('media')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('media')
        .select('id')
        .where('status', '=', 'uploading')
        .where(
          'created_at',
          '<',
          sql<Date>`now() - ${olderThanMs}::double precision * interval '1 millisecond'`,
        )
        .limit(limit),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
