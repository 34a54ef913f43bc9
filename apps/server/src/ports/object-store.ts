import type { Readable } from 'node:stream';

export interface ObjectInfo {
  readonly size: number;
  readonly contentType: string;
  /** Strong validator, quoted as in HTTP (`"<hex>"`). */
  readonly etag: string;
  readonly lastModified: Date;
}

export interface ObjectBody extends ObjectInfo {
  readonly body: Readable;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Where and how a client uploads bytes directly, bypassing the API process. */
export interface UploadTarget {
  readonly method: 'PUT';
  readonly url: string;
  /** Headers the client must send exactly (they are part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

export interface UploadUrlOptions {
  readonly contentType: string;
  /** The upload must be exactly this many bytes. */
  readonly contentLength: number;
  readonly expiresInSeconds: number;
}

/**
 * Bytes: originals and renditions. Keys are `/`-separated paths of [A-Za-z0-9._-] segments.
 * Writes are atomic: a reader sees the whole old object, the whole new one, or none.
 */
export interface ObjectStore {
  readonly kind: 'local-disk' | 's3';
  put(key: string, body: Buffer | Readable, options: { contentType: string }): Promise<ObjectInfo>;
  get(key: string, range?: ByteRange): Promise<ObjectBody | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /**
   * A pre-signed PUT for one object: bound to the key, the content type and the length, and
   * valid until `expiresAt`. S3 signs it itself; the local disk adapter points at the API's own
   * upload route, signed with an HMAC.
   */
  createUploadUrl(key: string, options: UploadUrlOptions): Promise<UploadTarget>;
  /** Deletes each key; absent keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
