import type { Readable } from 'node:stream';
import type { Executor } from '../db/executor.js';
import { AppError, notFound } from '../lib/errors.js';
import type { UrlSigner } from '../lib/signed-url.js';
import { etagMatches, parseRange } from '../http/range.js';
import type { Cache } from '../ports/cache.js';
import type { ObjectStore } from '../ports/object-store.js';
import { VARIANTS, type VariantName } from './renditions.js';
import { renditionKey } from './media.repo.js';
import { renditionPath } from './media-view.js';

/**
 * How long the "who may read this rendition" answer is cached. An account that turns private
 * stops being served unsigned within this time (edge caches: see docs/media.md).
 */
const ACCESS_CACHE_MS = 30_000;
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface DeliveryRequest {
  readonly id: string;
  readonly file: string;
  readonly query: { exp?: string; sig?: string };
  readonly headers: { range?: string; ifNoneMatch?: string; ifModifiedSince?: string };
}

export interface DeliveryResponse {
  readonly status: 200 | 206 | 304 | 416;
  readonly headers: Record<string, string>;
  readonly body: Readable | null;
}

/**
 * Serves renditions from the object store at URLs that never change: strong ETags,
 * conditional and range requests, and for private accounts only with a valid signature.
 */
export class MediaDelivery {
  constructor(
    private readonly deps: { db: Executor; objects: ObjectStore; cache: Cache; signer: UrlSigner },
  ) {}

  async serve(request: DeliveryRequest): Promise<DeliveryResponse> {
    const variant = request.file.replace(/\.webp$/, '') as VariantName;
    if (
      !request.file.endsWith('.webp') ||
      !VARIANTS.includes(variant) ||
      !/^[1-9]\d{0,18}$/.test(request.id)
    ) {
      throw notFound('photo');
    }
    const access = await this.#access(request.id);
    if (access === 'absent') throw notFound('photo');
    let cacheControl = IMMUTABLE;
    if (access === 'private') {
      const exp = Number(request.query.exp);
      const path = renditionPath(request.id, variant);
      if (!request.query.sig || !this.deps.signer.verify(path, exp, request.query.sig)) {
        throw new AppError(403, 'signature_invalid', 'This photo link is not valid or has expired.');
      }
      // Any cache may keep a signed URL's answer, but not past the URL's own expiry.
      cacheControl = `public, max-age=${Math.max(0, exp - Math.floor(Date.now() / 1000))}`;
    }

    const key = renditionKey(request.id, variant);
    const info = await this.deps.objects.head(key);
    if (!info) throw notFound('photo');
    const headers: Record<string, string> = {
      'content-type': 'image/webp',
      etag: info.etag,
      'last-modified': info.lastModified.toUTCString(),
      'cache-control': cacheControl,
      'accept-ranges': 'bytes',
      // Renditions are meant to be embedded by the web app wherever it is served from (CDN).
      'cross-origin-resource-policy': 'cross-origin',
    };
    const notModified = request.headers.ifNoneMatch
      ? etagMatches(request.headers.ifNoneMatch, info.etag)
      : request.headers.ifModifiedSince !== undefined &&
        Date.parse(request.headers.ifModifiedSince) >= Math.floor(info.lastModified.getTime() / 1000) * 1000;
    if (notModified) return { status: 304, headers, body: null };

    const range = parseRange(request.headers.range, info.size);
    if (range === 'unsatisfiable') {
      return { status: 416, headers: { ...headers, 'content-range': `bytes */${info.size}` }, body: null };
    }
    const object = await this.deps.objects.get(key, range ?? undefined);
    if (!object) throw notFound('photo');
    if (!range)
      return { status: 200, headers: { ...headers, 'content-length': String(info.size) }, body: object.body };
    return {
      status: 206,
      headers: {
        ...headers,
        'content-range': `bytes ${range.start}-${range.end}/${info.size}`,
        'content-length': String(range.end - range.start + 1),
      },
      body: object.body,
    };
  }

  /** Whose renditions these are, cached briefly: one lookup per id per 30 s, not per request. */
  async #access(id: string): Promise<'public' | 'private' | 'absent'> {
    const cacheKey = `media-access:${id}`;
    const cached = await this.deps.cache.get(cacheKey).catch(() => null);
    if (cached === 'public' || cached === 'private' || cached === 'absent') return cached;
    const row = await this.deps.db
      .selectFrom('media')
      .innerJoin('users', 'users.id', 'media.owner_id')
      .select(['media.status', 'users.is_private'])
      .where('media.id', '=', id)
      .executeTakeFirst();
    const access = !row || row.status !== 'ready' ? 'absent' : row.is_private ? 'private' : 'public';
    await this.deps.cache.set(cacheKey, access, ACCESS_CACHE_MS).catch(() => {});
    return access;
  }
}
