import { describe, expect, it } from 'vitest';
import { MediaUrls, toMediaRef } from '../../src/media/media-view.js';
import { UrlSigner } from '../../src/lib/signed-url.js';
import { renditionSize } from '../../src/media/renditions.js';

describe('rendition sizes', () => {
  it.each([
    [
      { width: 4000, height: 3000 },
      { thumb: [150, 150], small: [320, 240], medium: [640, 480], large: [1080, 810] },
    ],
    [
      { width: 3000, height: 4000 },
      { thumb: [150, 150], small: [320, 427], medium: [640, 853], large: [1080, 1440] },
    ],
    [
      { width: 500, height: 100 },
      { thumb: [100, 100], small: [320, 64], medium: [500, 100], large: [500, 100] },
    ],
    [
      { width: 1, height: 1 },
      { thumb: [1, 1], small: [1, 1], medium: [1, 1], large: [1, 1] },
    ],
    [
      { width: 2000, height: 1 },
      { thumb: [1, 1], small: [320, 1], medium: [640, 1], large: [1080, 1] },
    ],
  ])('%j is never upscaled', (original, expected) => {
    for (const [variant, [width, height]] of Object.entries(expected)) {
      expect(renditionSize(variant as never, original)).toEqual({ width, height });
    }
  });

  it('a MediaRef has variants only once it is ready', () => {
    const signer = new UrlSigner(new Uint8Array(32).fill(1), 'media');
    const urls = new MediaUrls('https://cdn.example/m', signer, () => Date.UTC(2026, 10, 22, 10, 30));
    const row = {
      id: '42',
      status: 'processing' as const,
      width: null,
      height: null,
      blurhash: null,
      dominant_color: null,
      error_code: null,
      error_message: null,
      rendition_source_id: null,
      owner_private: false,
    };
    expect(toMediaRef(row, urls).variants).toBeNull();
    const ready = toMediaRef({ ...row, status: 'ready', width: 800, height: 600 }, urls, 'a dog');
    expect(ready.altText).toBe('a dog');
    expect(ready.variants?.large).toEqual({
      url: 'https://cdn.example/m/42/large.webp',
      width: 800,
      height: 600,
      format: 'webp',
    });
  });
});
