import { Readable, Transform, pipeline } from 'node:stream';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  ByteRange,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  UploadTarget,
  UploadUrlOptions,
} from '../../ports/object-store.js';
import { assertValidKey } from '../local-disk/local-disk-object-store.js';

/** DeleteObjects refuses more than this many keys per request (S3 API limit). */
const DELETE_BATCH = 1_000;
/**
 * Streams are cut into parts of this size. A photo below it goes up as one PutObject; above it,
 * each in-flight part is held in memory, so PART_SIZE * (UPLOAD_QUEUE + 1) bounds one put's buffer.
 * S3 needs parts of at least 5 MiB and at most 10,000 of them (80 GB here).
 */
const PART_SIZE = 8 * 1024 * 1024;
const UPLOAD_QUEUE = 3;
/** SigV4 refuses pre-signed URLs valid for longer than a week. */
const MAX_UPLOAD_URL_SECONDS = 7 * 24 * 3600;
/** A readiness probe that hangs is worse than one that fails: the orchestrator needs an answer. */
const PING_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * Concurrent sockets to the store. Every GET body being streamed to a client holds one until it
 * is consumed or destroyed, so this caps concurrent downloads served through the API.
 */
const MAX_SOCKETS = 256;

export interface S3ObjectStoreOptions {
  /** Unset means AWS itself; set for any S3-compatible server (MinIO, Ceph RGW, R2…). */
  readonly endpoint?: string | undefined;
  readonly bucket: string;
  readonly region: string;
  /** Unset means the SDK's default chain (environment, instance profile, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly forcePathStyle: boolean;
  /**
   * Web origins whose pages PUT straight to pre-signed URLs (the app's PUBLIC_URL origin).
   * ensureBucket() grants them CORS; unset leaves the bucket's CORS rules alone.
   */
  readonly corsOrigins?: readonly string[] | undefined;
}

/** Browsers cache the preflight this long (seconds), so an upload burst costs one OPTIONS. */
const CORS_MAX_AGE = 3600;

/**
 * Objects in one S3 bucket. S3 already gives the guarantees the port asks for: a PutObject or a
 * completed multipart upload replaces the object atomically, and an upload that is never completed
 * leaves nothing readable. ETags are S3's own (quoted MD5 for single PUTs, `"<md5>-<parts>"` after
 * a multipart upload), so they are strong validators but not content hashes.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #region: string;
  readonly #corsOrigins: readonly string[];

  constructor(options: S3ObjectStoreOptions) {
    this.#bucket = options.bucket;
    this.#region = options.region;
    this.#corsOrigins = options.corsOrigins ?? [];
    this.#client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Flexible checksums only when the API demands them: several S3-compatible servers reject
      // or mishandle the x-amz-checksum-* headers and aws-chunked trailers the SDK adds by default
      // since 3.729, and a pre-signed PUT would carry the CRC of an empty body.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: CONNECT_TIMEOUT_MS,
        httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
        httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      },
    });
  }

  /**
   * Creates the bucket unless it exists, and lets the web origins PUT to it. Safe to call from
   * several processes at once: PutBucketCors replaces the whole rule set with the same one.
   */
  async ensureBucket(): Promise<void> {
    await this.#createBucket();
    if (this.#corsOrigins.length > 0) await this.#allowBrowserUploads();
  }

  /**
   * The origin browsers upload to (bucket host names in virtual-hosted style, the endpoint in
   * path style). Read off a real pre-signed URL so it always matches what clients are given.
   */
  async uploadOrigin(): Promise<string> {
    const probe = await this.createUploadUrl('probe', {
      contentType: 'application/octet-stream',
      contentLength: 0,
      expiresInSeconds: 60,
    });
    return new URL(probe.url).origin;
  }

  async #createBucket(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    try {
      await this.#client.send(
        new CreateBucketCommand({
          Bucket: this.#bucket,
          // us-east-1 is the one region that refuses an explicit location constraint.
          ...(this.#region === 'us-east-1'
            ? {}
            : {
                CreateBucketConfiguration: { LocationConstraint: this.#region as BucketLocationConstraint },
              }),
        }),
      );
    } catch (err) {
      // Another process won the race; ours is just as good.
      if (nameOf(err) !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  /** Pre-signed PUTs come from another origin (the web app), so they need a preflight answer. */
  async #allowBrowserUploads(): Promise<void> {
    await this.#client.send(
      new PutBucketCorsCommand({
        Bucket: this.#bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: [...this.#corsOrigins],
              AllowedMethods: ['PUT'],
              // Content-Type is signed; the SDK may add x-amz-* headers to what it signs.
              AllowedHeaders: ['content-type', 'x-amz-*'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: CORS_MAX_AGE,
            },
          ],
        },
      }),
    );
  }

  async put(key: string, body: Buffer | Readable, options: { contentType: string }): Promise<ObjectInfo> {
    assertValidKey(key);
    if (Buffer.isBuffer(body)) {
      const out = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          ContentLength: body.length,
        }),
      );
      return this.#written(key, out.ETag, body.length, options.contentType);
    }
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    // pipeline carries a source error into `counter`, and lib-storage reads `counter` with
    // `for await`, so the error rejects done() after it has aborted any multipart upload it began
    // (leavePartsOnError is false): the previous object stays and no orphaned parts are billed.
    // The callback has nothing to add: Upload reports the same error.
    const source = pipeline(body, counter, () => {});
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: source, ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    });
    const out = await upload.done();
    return this.#written(key, out.ETag, size, options.contentType);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return {
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '',
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (err) {
      // HEAD answers have no body, so a missing bucket looks the same; ping() tells them apart.
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    assertValidKey(key);
    try {
      const out = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned a non-Node body');
      return {
        // `size` is the whole object's, as with the local disk store; Content-Range carries it.
        size: totalSize(out.ContentRange) ?? out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '',
        lastModified: out.LastModified ?? new Date(0),
        body: out.Body,
      };
    } catch (err) {
      // Only a missing key is "no object": a missing bucket is a misconfiguration to surface.
      if (nameOf(err) === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    keys.forEach(assertValidKey);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const out = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      // DeleteObjects answers 200 even when some keys failed; absent keys are not among them.
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        const sample = failed
          .slice(0, 3)
          .map((e) => `${e.Key}: ${e.Code}`)
          .join(', ');
        throw new Error(`S3 could not delete ${failed.length} object(s): ${sample}`);
      }
    }
  }

  async createUploadUrl(key: string, options: UploadUrlOptions): Promise<UploadTarget> {
    assertValidKey(key);
    const { contentType, contentLength, expiresInSeconds } = options;
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      throw new RangeError(`invalid upload length ${contentLength}`);
    }
    if (
      !Number.isInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > MAX_UPLOAD_URL_SECONDS
    ) {
      throw new RangeError(`upload URLs live 1..${MAX_UPLOAD_URL_SECONDS} s, not ${expiresInSeconds}`);
    }
    // X-Amz-Date has whole seconds; sign at a whole second so expiresAt is exactly the server's.
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const url = await getSignedUrl(
      this.#client,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ContentType: contentType,
        ContentLength: contentLength,
      }),
      {
        expiresIn: expiresInSeconds,
        signingDate,
        // The presigner leaves Content-Type unsigned by default, which would let a client store
        // any type under the key; Content-Length is signed already, binding the exact size.
        signableHeaders: new Set(['content-type']),
      },
    );
    return {
      method: 'PUT',
      url,
      headers: { 'content-type': contentType, 'content-length': String(contentLength) },
      expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000),
    };
  }

  /** Fails when the store is unreachable, the credentials are refused or the bucket is missing. */
  async ping(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), {
      abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
    });
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  /**
   * Describes what was just written. The write's own ETag is authoritative; the HEAD adds the
   * server's Last-Modified. If another writer replaced the key in between, we still describe our
   * write (with an approximate date) rather than theirs.
   */
  async #written(
    key: string,
    etag: string | undefined,
    size: number,
    contentType: string,
  ): Promise<ObjectInfo> {
    const head = await this.head(key);
    // Some servers (Ceph RGW among them) answer CompleteMultipartUpload without an ETag.
    if (!etag) {
      if (!head) throw new Error(`S3 object ${key} vanished right after it was written`);
      return head;
    }
    if (head && head.etag === etag) return head;
    return { size, contentType, etag, lastModified: new Date() };
  }
}

function nameOf(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

/** `bytes 100-199/5242880` → 5242880; undefined without a (complete) Content-Range. */
function totalSize(contentRange: string | undefined): number | undefined {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? undefined : Number(total);
}
