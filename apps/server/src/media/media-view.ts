import type { MediaRef } from '@glimpse/contract';
import type { Selectable } from 'kysely';
import type { MediaTable } from '../db/schema.js';
import type { UrlSigner } from '../lib/signed-url.js';
import { PRIVATE_URL_WINDOW_SECONDS } from './limits.js';
import { VARIANTS, renditionSize, type VariantName } from './renditions.js';

/** What a MediaRef is built from: the media row and whether its owner's account is private. */
export type MediaRow = Pick<
  Selectable<MediaTable>,
  | 'status'
  | 'width'
  | 'height'
  | 'blurhash'
  | 'dominant_color'
  | 'error_code'
  | 'error_message'
  | 'rendition_source_id'
> & { id: string; owner_private: boolean };

/** Path of a rendition under MEDIA_BASE_URL (and under /media on the origin). */
export const renditionPath = (renditionId: string, variant: VariantName) => `/${renditionId}/${variant}.webp`;

/**
 * Rendition URLs never change for public accounts, so every cache may keep them forever. For
 * private accounts they carry an expiry and an HMAC; the expiry is rounded up to a window so the
 * URL stays the same (cacheable) for a while and is valid between one and two windows.
 */
export class MediaUrls {
  constructor(
    private readonly baseUrl: string,
    private readonly signer: UrlSigner,
    private readonly now: () => number = Date.now,
  ) {}

  variantUrl(renditionId: string, variant: VariantName, isPrivate: boolean): string {
    const path = renditionPath(renditionId, variant);
    if (!isPrivate) return `${this.baseUrl}${path}`;
    const window = PRIVATE_URL_WINDOW_SECONDS;
    const exp = (Math.floor(this.now() / 1000 / window) + 2) * window;
    return `${this.baseUrl}${path}?exp=${exp}&sig=${this.signer.sign(path, exp)}`;
  }
}

export function toMediaRef(row: MediaRow, urls: MediaUrls, altText: string | null = null): MediaRef {
  const ready = row.status === 'ready' && row.width !== null && row.height !== null;
  const original = { width: row.width ?? 0, height: row.height ?? 0 };
  // An identical re-upload serves the renditions of the first copy.
  const renditionId = row.rendition_source_id ?? row.id;
  return {
    id: row.id,
    status: row.status,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? row.error_code } : null,
    width: row.width,
    height: row.height,
    blurhash: row.blurhash,
    dominantColor: row.dominant_color,
    altText,
    variants: ready
      ? (Object.fromEntries(
          VARIANTS.map((v) => [
            v,
            {
              url: urls.variantUrl(renditionId, v, row.owner_private),
              ...renditionSize(v, original),
              format: 'webp',
            },
          ]),
        ) as NonNullable<MediaRef['variants']>)
      : null,
  };
}
