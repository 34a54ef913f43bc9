import type { CreateUploadBody, MediaRef, UploadSlot } from '@glimpse/contract';
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Executor } from '../db/executor.js';
import { appendToOutbox } from '../jobs/outbox.js';
import { AppError, badRequest, notFound, rateLimited } from '../lib/errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { ACCEPTED_CONTENT_TYPES, SNIFF_BYTES, sniffFormat } from './formats.js';
import { MAX_UPLOAD_BYTES, UPLOAD_URL_TTL_SECONDS } from './limits.js';
import * as repo from './media.repo.js';
import { toMediaRef, type MediaUrls } from './media-view.js';

export interface MediaServiceDeps {
  readonly db: Executor;
  readonly objects: ObjectStore;
  readonly rateLimiter: RateLimiter;
  readonly urls: MediaUrls;
  readonly log: Logger;
  readonly quotaBytes: number | null;
  readonly uploadsPerMinute: number;
  /** Whether a viewer can see a post that shows the item (posts own that rule). */
  readonly visibleThroughPosts: (viewer: string | null, mediaId: string) => Promise<boolean>;
}

const unsupported = (what: string) =>
  new AppError(
    415,
    'unsupported_media_type',
    `${what} Glimpse accepts JPEG, PNG, WebP, HEIC/HEIF, AVIF and GIF.`,
  );

/**
 * The client-facing half of the media flow: upload slots, "complete", and reading a MediaRef.
 * Bytes never pass through here; the worker (media.worker.ts) does the processing.
 */
export class MediaService {
  constructor(private readonly deps: MediaServiceDeps) {}

  async createUpload(ownerId: string, body: CreateUploadBody): Promise<UploadSlot> {
    const contentType = body.contentType.toLowerCase();
    if (!(contentType in ACCEPTED_CONTENT_TYPES))
      throw unsupported(`${body.contentType} is not a photo type Glimpse takes.`);
    if (body.size > MAX_UPLOAD_BYTES) {
      throw new AppError(413, 'payload_too_large', 'Photos can be at most 50 MiB.', {
        maxBytes: MAX_UPLOAD_BYTES,
      });
    }
    const allowance = await this.deps.rateLimiter.consume(`media-uploads:${ownerId}`, {
      limit: this.deps.uploadsPerMinute,
      periodMs: 60_000,
    });
    if (!allowance.allowed) throw rateLimited(allowance.retryAfterSeconds);
    if (this.deps.quotaBytes !== null) {
      const used = await repo.usedBytes(this.deps.db, ownerId);
      if (used + body.size > this.deps.quotaBytes) {
        throw new AppError(413, 'quota_exceeded', 'This upload would go over your storage quota.', {
          quotaBytes: this.deps.quotaBytes,
          usedBytes: used,
        });
      }
    }
    const media = await repo.insertMedia(this.deps.db, { ownerId, contentType, sizeBytes: body.size });
    const upload = await this.deps.objects.createUploadUrl(repo.originalKey(media.id), {
      contentType,
      contentLength: body.size,
      expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
    });
    return {
      media: toMediaRef(media, this.deps.urls),
      upload: {
        method: upload.method,
        url: upload.url,
        headers: { ...upload.headers },
        expiresAt: upload.expiresAt.toISOString(),
      },
    };
  }

  /**
   * The one-request path (multipart POST /posts): the API streams one file to the object store
   * as it arrives (never whole in memory), then treats it exactly like a slot + PUT + complete.
   * Returns the media id; the item is `processing` afterwards.
   */
  async uploadDirect(ownerId: string, body: Readable): Promise<string> {
    const allowance = await this.deps.rateLimiter.consume(`media-uploads:${ownerId}`, {
      limit: this.deps.uploadsPerMinute,
      periodMs: 60_000,
    });
    if (!allowance.allowed) throw rateLimited(allowance.retryAfterSeconds);
    if (
      this.deps.quotaBytes !== null &&
      (await repo.usedBytes(this.deps.db, ownerId)) >= this.deps.quotaBytes
    ) {
      throw new AppError(413, 'quota_exceeded', 'Your storage quota is full.', {
        quotaBytes: this.deps.quotaBytes,
      });
    }
    // The size is unknown until the stream ends; 1 byte stands in until then.
    const media = await repo.insertMedia(this.deps.db, {
      ownerId,
      contentType: 'application/octet-stream',
      sizeBytes: 1,
    });
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(
          size > MAX_UPLOAD_BYTES
            ? new AppError(413, 'payload_too_large', 'Photos can be at most 50 MiB.')
            : null,
          chunk,
        );
      },
    });
    try {
      await this.deps.objects.put(repo.originalKey(media.id), body.pipe(counted), {
        contentType: 'application/octet-stream',
      });
    } catch (err) {
      await this.deps.db.deleteFrom('media').where('id', '=', media.id).execute();
      throw err;
    }
    if (size === 0) {
      await this.deps.db.deleteFrom('media').where('id', '=', media.id).execute();
      throw badRequest('upload_missing', 'A photo part was empty.');
    }
    await this.deps.db
      .updateTable('media')
      .set({ size_bytes: String(size) })
      .where('id', '=', media.id)
      .execute();
    await this.complete(ownerId, media.id);
    return media.id;
  }

  /**
   * The client says the bytes are up. Checks they are there, of the declared size, and start
   * like an accepted image; then hands the item to the worker. Calling it again is harmless.
   */
  async complete(ownerId: string, mediaId: string): Promise<MediaRef> {
    const media = await this.#owned(ownerId, mediaId);
    if (media.status !== 'uploading') return toMediaRef(media, this.deps.urls);
    const key = repo.originalKey(mediaId);
    const head = await this.deps.objects.head(key);
    if (!head)
      throw badRequest(
        'upload_missing',
        'No bytes have arrived for this upload yet. PUT the file to the upload URL first.',
      );
    if (head.size !== Number(media.size_bytes)) {
      throw badRequest(
        'upload_size_mismatch',
        `The upload has ${head.size} bytes, not the ${media.size_bytes} declared.`,
      );
    }
    const first = await this.deps.objects.get(key, { start: 0, end: Math.min(SNIFF_BYTES, head.size) - 1 });
    const bytes = first ? await readAll(first.body) : Buffer.alloc(0);
    if (!sniffFormat(bytes)) {
      await repo.markFailed(this.deps.db, [mediaId], {
        code: 'unsupported_format',
        message: 'The file is not a photo in an accepted format.',
      });
      await this.deps.objects.delete([key]);
      throw unsupported('This file is not a photo in an accepted format.');
    }
    await this.deps.db.transaction().execute(async (trx) => {
      if (await repo.markProcessing(trx, mediaId)) {
        await appendToOutbox(trx, [{ topic: 'media.uploaded', aggregateId: mediaId, payload: { mediaId } }]);
      }
    });
    return toMediaRef((await repo.findMedia(this.deps.db, mediaId))!, this.deps.urls);
  }

  /** One item, for its owner or anyone who can see a post showing it; 404 for everyone else. */
  async get(viewerId: string, mediaId: string): Promise<MediaRef> {
    const media = await repo.findMedia(this.deps.db, mediaId);
    if (!media) throw notFound('media');
    if (media.owner_id !== viewerId && !(await this.deps.visibleThroughPosts(viewerId, mediaId)))
      throw notFound('media');
    return toMediaRef(media, this.deps.urls);
  }

  async #owned(ownerId: string, mediaId: string): Promise<repo.MediaRecord> {
    const media = await repo.findMedia(this.deps.db, mediaId);
    // Someone else's media is as invisible as media that does not exist.
    if (!media || media.owner_id !== ownerId) throw notFound('media');
    return media;
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
