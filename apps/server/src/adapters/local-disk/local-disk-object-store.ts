import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { uploadBinding, type UrlSigner } from '../../lib/signed-url.js';
import type {
  ByteRange,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  UploadTarget,
  UploadUrlOptions,
} from '../../ports/object-store.js';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

/** Keys map to paths under the root; anything that could climb out of it is refused. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (
    key.length > 512 ||
    segments.some((s) => !SEGMENT.test(s) || s.endsWith('.meta') || s.includes('.tmp-'))
  ) {
    throw new InvalidObjectKeyError(`invalid object key ${JSON.stringify(key)}`);
  }
}

interface Meta {
  contentType: string;
  etag: string;
}

/**
 * Objects as files under `root`, each with a `.meta` sidecar holding its content type and
 * ETag (the SHA-256 of its bytes, computed while streaming). Both are written to a temporary
 * name and renamed into place, so readers never see a half-written object. The meta file is
 * renamed first: a reader racing an overwrite can pair new meta with old bytes only when
 * the same key is rewritten with different bytes, which the media flow never does (its keys
 * are deterministic per content).
 */
export class LocalDiskObjectStore implements ObjectStore {
  readonly kind = 'local-disk' as const;

  /**
   * @param uploads where the API's own upload route lives (`PUT {baseUrl}/{key}`) and the signer
   *   both sides share; without it this store cannot hand out upload URLs.
   */
  constructor(
    private readonly root: string,
    private readonly uploads?: { readonly baseUrl: string; readonly signer: UrlSigner },
  ) {}

  async createUploadUrl(key: string, options: UploadUrlOptions): Promise<UploadTarget> {
    assertValidKey(key);
    if (!this.uploads) throw new Error('this local disk store was opened without an upload route');
    const expires = Math.floor(Date.now() / 1000) + options.expiresInSeconds;
    const signature = this.uploads.signer.sign(`/${key}`, expires, uploadBinding(options));
    const query = new URLSearchParams({ expires: String(expires), signature });
    return {
      method: 'PUT',
      url: `${this.uploads.baseUrl}/${key}?${query}`,
      headers: { 'content-type': options.contentType, 'content-length': String(options.contentLength) },
      expiresAt: new Date(expires * 1000),
    };
  }

  async put(key: string, body: Buffer | Readable, options: { contentType: string }): Promise<ObjectInfo> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const suffix = `.tmp-${randomBytes(6).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Buffer.isBuffer(body) ? Readable.from([body]) : body,
        measure,
        createWriteStream(path + suffix),
      );
      const meta: Meta = { contentType: options.contentType, etag: `"${hash.digest('hex')}"` };
      await writeFile(`${path}.meta${suffix}`, JSON.stringify(meta));
      await rename(`${path}.meta${suffix}`, `${path}.meta`);
      await rename(path + suffix, path);
      const { mtime } = await stat(path);
      return { size, contentType: meta.contentType, etag: meta.etag, lastModified: mtime };
    } finally {
      await rm(path + suffix, { force: true });
      await rm(`${path}.meta${suffix}`, { force: true });
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.#path(key);
    try {
      const [stats, meta] = await Promise.all([stat(path), readFile(`${path}.meta`, 'utf8')]);
      const { contentType, etag } = JSON.parse(meta) as Meta;
      return { size: stats.size, contentType, etag, lastModified: stats.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    const info = await this.head(key);
    if (!info) return null;
    const body = createReadStream(this.#path(key), range ? { start: range.start, end: range.end } : {});
    return { ...info, body };
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const path = this.#path(key);
        await rm(path, { force: true });
        await rm(`${path}.meta`, { force: true });
      }),
    );
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }
}
