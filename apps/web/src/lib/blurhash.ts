import { decode } from 'blurhash';

/**
 * BlurHash strings decoded to tiny RGBA bitmaps. 32x32 is plenty (the canvas is stretched and
 * blurred by CSS) and costs well under a millisecond; results are cached because the same post
 * renders in several lists.
 */
const SIZE = 32;
const cache = new Map<string, ImageData>();

export function blurhashPixels(hash: string): ImageData | null {
  const hit = cache.get(hash);
  if (hit) return hit;
  try {
    const pixels = decode(hash, SIZE, SIZE);
    const image = new ImageData(new Uint8ClampedArray(pixels), SIZE, SIZE);
    if (cache.size > 500) cache.delete(cache.keys().next().value as string);
    cache.set(hash, image);
    return image;
  } catch {
    return null; // a malformed hash shows the dominant colour instead
  }
}

export const BLURHASH_SIZE = SIZE;
