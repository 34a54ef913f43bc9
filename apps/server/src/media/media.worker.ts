import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import { appendToOutbox } from '../jobs/outbox.js';
import type { JobHandler } from '../jobs/runner.js';
import type { Metrics } from '../observability/metrics.js';
import { ImageRejectedError, type ImageCodec } from '../ports/image-codec.js';
import type { ObjectStore } from '../ports/object-store.js';
import { sniffFormat } from './formats.js';
import { MAX_REQUEUES, MAX_UPLOAD_BYTES, STALLED_AFTER_MS } from './limits.js';
import * as repo from './media.repo.js';

/** Upload slots nobody used are forgotten after a day (their URL expired after 15 minutes). */
const ABANDONED_AFTER_MS = 86_400_000;
/** Rows the reconciler handles per tick; the next tick takes the rest. */
const RECONCILE_BATCH = 200;

export interface MediaWorkerDeps {
  readonly db: Executor;
  readonly objects: ObjectStore;
  readonly codec: ImageCodec;
  readonly metrics: Metrics;
  readonly log: Logger;
}

class OriginalTooLarge extends Error {}

async function readOriginal(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_UPLOAD_BYTES) throw new OriginalTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * `media.uploaded` → renditions. Idempotent: an item that is no longer `processing` is left
 * alone, rendition keys are deterministic, and the final state change is conditional. A picture
 * that can never work fails the item (not the job); anything else (object store down...) throws,
 * so the queue retries it and, after its last attempt, dead-letters it.
 */
export function processMediaJob(deps: MediaWorkerDeps): JobHandler<'media.process'> {
  const { db, objects, codec, metrics, log } = deps;

  const fail = async (mediaId: string, code: string, message: string) => {
    await db.transaction().execute(async (trx) => {
      if ((await repo.markFailed(trx, [mediaId], { code, message })).length > 0) {
        await appendToOutbox(trx, [
          { topic: 'media.failed', aggregateId: mediaId, payload: { mediaId, code } },
        ]);
      }
    });
    metrics.mediaProcessed.inc({ outcome: 'failed', code });
    log.warn({ mediaId, code, reason: message }, 'media failed');
  };

  return async ({ mediaId }) => {
    const media = await repo.findMedia(db, mediaId);
    if (!media || media.status !== 'processing') return;
    const started = performance.now();
    const object = await objects.get(repo.originalKey(mediaId));
    if (!object) return fail(mediaId, 'upload_missing', 'The original is no longer in the object store.');
    let original: Buffer;
    try {
      original = await readOriginal(object.body);
    } catch (err) {
      if (err instanceof OriginalTooLarge) return fail(mediaId, 'too_large', 'The original is over 50 MiB.');
      throw err;
    }
    const format = sniffFormat(original);
    if (!format) return fail(mediaId, 'unsupported_format', 'The file is not a photo in an accepted format.');
    const sha256 = createHash('sha256').update(original).digest();

    const duplicate = await repo.findReadyDuplicate(db, media.owner_id, sha256, mediaId);
    let result: repo.ProcessingResult;
    if (duplicate && duplicate.width !== null && duplicate.height !== null) {
      result = {
        width: duplicate.width,
        height: duplicate.height,
        blurhash: duplicate.blurhash ?? '',
        dominantColor: duplicate.dominant_color ?? '#000000',
        phash: duplicate.phash ?? '0',
        sha256,
        renditionSourceId: duplicate.rendition_source_id ?? duplicate.id,
      };
    } else {
      let processed;
      try {
        processed = await codec.process(original, format);
      } catch (err) {
        if (err instanceof ImageRejectedError) return fail(mediaId, err.code, err.message);
        throw err;
      }
      await Promise.all(
        processed.renditions.map((r) =>
          objects.put(repo.renditionKey(mediaId, r.variant), r.data, { contentType: 'image/webp' }),
        ),
      );
      result = { ...processed, sha256, renditionSourceId: null };
    }

    const becameReady = await db.transaction().execute(async (trx) => {
      if (!(await repo.markReady(trx, mediaId, result))) return false;
      await appendToOutbox(trx, [{ topic: 'media.ready', aggregateId: mediaId, payload: { mediaId } }]);
      return true;
    });
    if (!becameReady) return;
    if (result.renditionSourceId) {
      // The same bytes are already stored once; this copy of the original is not needed.
      await objects.delete([repo.originalKey(mediaId)]).catch(() => {});
    }
    metrics.mediaProcessed.inc({ outcome: result.renditionSourceId ? 'reused' : 'ready', code: '' });
    metrics.mediaProcessingSeconds.observe((performance.now() - started) / 1000);
    if (media.completed_at) {
      metrics.mediaCompleteToReadySeconds.observe((Date.now() - media.completed_at.getTime()) / 1000);
    }
  };
}

/**
 * Every five minutes: media stuck in `processing` (its job was lost, or keeps dying) is queued
 * again, at most MAX_REQUEUES times, then failed; upload slots nobody used are forgotten.
 */
export function reconcileMediaJob(deps: Omit<MediaWorkerDeps, 'codec'>): JobHandler<'media.reconcile'> {
  const { db, objects, log } = deps;
  return async () => {
    const stalled = await repo.findStalled(db, STALLED_AFTER_MS, RECONCILE_BATCH);
    const giveUp = stalled.filter((m) => m.requeues >= MAX_REQUEUES).map((m) => m.id);
    const retry = stalled.filter((m) => m.requeues < MAX_REQUEUES).map((m) => m.id);
    await db.transaction().execute(async (trx) => {
      const failed = await repo.markFailed(trx, giveUp, {
        code: 'processing_stalled',
        message: 'Processing did not finish after several attempts.',
      });
      await repo.markRequeued(trx, retry);
      await appendToOutbox(trx, [
        ...failed.map((mediaId) => ({
          topic: 'media.failed' as const,
          aggregateId: mediaId,
          payload: { mediaId, code: 'processing_stalled' },
        })),
        ...retry.map((mediaId) => ({
          topic: 'media.uploaded' as const,
          aggregateId: mediaId,
          payload: { mediaId },
        })),
      ]);
    });
    const abandoned = await repo.deleteAbandonedUploads(db, ABANDONED_AFTER_MS, RECONCILE_BATCH);
    await objects.delete(abandoned.map(repo.originalKey));
    if (stalled.length + abandoned.length > 0) {
      log.info(
        { requeued: retry.length, failed: giveUp.length, abandoned: abandoned.length },
        'media reconciled',
      );
    }
  };
}
