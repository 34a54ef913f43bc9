import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 signatures over a path, an expiry and any bound values (content type, length).
 * Used for the embedded shape's upload URLs and for private media URLs. The signature is
 * base64url, so it can travel in a query string and be checked by an edge (docs/media.md).
 */
export class UrlSigner {
  readonly #key: Buffer;

  constructor(secret: Uint8Array, purpose: string) {
    // One derived key per purpose: an upload signature can never pass as a media signature.
    this.#key = createHmac('sha256', Buffer.from(secret)).update(`glimpse:${purpose}`).digest();
  }

  sign(path: string, expiresAtSeconds: number, bound: readonly (string | number)[] = []): string {
    return createHmac('sha256', this.#key)
      .update([path, String(expiresAtSeconds), ...bound.map(String)].join('\n'))
      .digest('base64url');
  }

  /** True when the signature matches and has not expired. Constant-time comparison. */
  verify(
    path: string,
    expiresAtSeconds: number,
    signature: string,
    bound: readonly (string | number)[] = [],
    nowMs: number = Date.now(),
  ): boolean {
    if (!Number.isSafeInteger(expiresAtSeconds) || expiresAtSeconds * 1000 < nowMs) return false;
    const expected = Buffer.from(this.sign(path, expiresAtSeconds, bound));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

/** What an upload URL's signature binds besides path and expiry: the file's declared type and exact length. */
export function uploadBinding(upload: { contentType: string; contentLength: number }): (string | number)[] {
  return [upload.contentType, upload.contentLength];
}
