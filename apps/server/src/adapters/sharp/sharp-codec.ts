import { encode as encodeBlurhash } from 'blurhash';
import sharp, { type Sharp } from 'sharp';
import { DHASH_HEIGHT, DHASH_WIDTH, dhash } from '../../media/dhash.js';
import type { ImageFormat } from '../../media/formats.js';
import { MAX_INPUT_PIXELS, MAX_UPLOAD_BYTES } from '../../media/limits.js';
import { THUMB_SIZE, VARIANT_WIDTHS, VARIANTS, renditionSize, type Size } from '../../media/renditions.js';
import {
  ImageRejectedError,
  type ImageCodec,
  type ProcessedImage,
  type Rendition,
} from '../../ports/image-codec.js';
import { HeifDecoder } from './heif-decoder.js';

/** WebP quality of the renditions: visually lossless for photos at a fraction of JPEG's size. */
const WEBP_QUALITY = 80;
/**
 * libwebp effort (0-6). Measured on a 1080 px rendition here: effort 1 takes 43 ms, 2 takes
 * 97 ms, 4 takes 171 ms, for files 8%, 2% and 0% larger than effort 4's. 2 keeps the
 * pipeline within its per-core budget while giving up almost nothing in bytes served.
 * (smartSubsample would double the encode time again for a barely visible gain.)
 */
const WEBP_EFFORT = 2;
/** Side of the tiny image the BlurHash and the dominant colour come from: plenty for 4x3 components. */
const TINY_SIDE = 32;
/** Colour buckets per channel for the dominant colour (4 bits each: 4,096 buckets). */
const DOMINANT_BITS = 4;

/** The only loaders libvips may run, all from memory. SVG, TIFF, PSD, PDF, RAW... stay blocked. */
const ALLOWED_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadWebpBuffer',
  'VipsForeignLoadNsgifBuffer',
  'VipsForeignLoadHeifBuffer',
];
let loadersRestricted = false;
function restrictLoaders(): void {
  if (loadersRestricted) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
  loadersRestricted = true;
}

/** sharp's own format names for what we sniffed: the decoder must agree with the magic bytes. */
const SHARP_FORMATS: Record<Exclude<ImageFormat, 'heic'>, string[]> = {
  jpeg: ['jpeg'],
  png: ['png'],
  gif: ['gif'],
  webp: ['webp'],
  avif: ['heif'],
};

const rejectDecode = (err: unknown): never => {
  if (err instanceof ImageRejectedError) throw err;
  const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
  if (/pixel limit/i.test(message)) throw new ImageRejectedError('too_many_pixels', message);
  if (/unsupported image format|blocked/i.test(message))
    throw new ImageRejectedError('unsupported_format', message);
  throw new ImageRejectedError('decode_failed', message);
};

/**
 * The media pipeline on libvips (sharp): decode once, with shrink-on-load, to an upright sRGB
 * intermediate just large enough for the biggest rendition; derive every rendition, the
 * BlurHash, the dominant colour and the difference hash from that one buffer, in parallel.
 * Output carries no metadata at all (no EXIF, GPS, XMP, IPTC or ICC: pixels are already sRGB).
 */
export class SharpImageCodec implements ImageCodec {
  readonly #heif = new HeifDecoder();

  constructor() {
    restrictLoaders();
  }

  async process(original: Buffer, format: ImageFormat): Promise<ProcessedImage> {
    if (original.length > MAX_UPLOAD_BYTES) {
      throw new ImageRejectedError(
        'too_large',
        `${original.length} bytes is over the ${MAX_UPLOAD_BYTES}-byte limit`,
      );
    }
    const { pipeline, size } = await (format === 'heic'
      ? this.#fromHeif(original)
      : this.#fromLibvips(original, format));
    const { data, info } = await pipeline
      .resize({ ...intermediateSize(size), fit: 'fill', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
      .catch(rejectDecode);
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    const from = () => sharp(data, raw);

    const [renditions, { blurhash, dominantColor }, phash] = await Promise.all([
      Promise.all(VARIANTS.map((variant) => renderVariant(from(), variant, size))),
      placeholders(from()),
      from()
        .resize(DHASH_WIDTH, DHASH_HEIGHT, { fit: 'fill' })
        .greyscale()
        .raw()
        .toBuffer()
        .then((grey) => dhash(grey)),
    ]);
    return { ...size, renditions, blurhash, dominantColor, phash };
  }

  async close(): Promise<void> {
    await this.#heif.close();
  }

  async #fromLibvips(
    original: Buffer,
    format: Exclude<ImageFormat, 'heic'>,
  ): Promise<{ pipeline: Sharp; size: Size }> {
    const options = {
      limitInputPixels: MAX_INPUT_PIXELS,
      failOn: 'error',
      pages: 1,
      animated: false,
    } as const;
    // The header alone: a 50000x50000 claim is refused here, before any pixel is decoded.
    const meta = await sharp(original, options).metadata().catch(rejectDecode);
    if (!SHARP_FORMATS[format].includes(meta.format ?? '')) {
      throw new ImageRejectedError(
        'unsupported_format',
        `the file says ${format} but decodes as ${meta.format}`,
      );
    }
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    if (width * height > MAX_INPUT_PIXELS) {
      throw new ImageRejectedError(
        'too_many_pixels',
        `${width}x${height} is over ${MAX_INPUT_PIXELS} pixels`,
      );
    }
    if (width === 0 || height === 0) throw new ImageRejectedError('decode_failed', 'the picture has no size');
    // EXIF orientations 5-8 turn the picture a quarter: the upright size swaps.
    const turned = (meta.orientation ?? 1) >= 5;
    return {
      pipeline: sharp(original, options).autoOrient(),
      size: turned ? { width: height, height: width } : { width, height },
    };
  }

  async #fromHeif(original: Buffer): Promise<{ pipeline: Sharp; size: Size }> {
    const decoded = await this.#heif.decode(original, MAX_INPUT_PIXELS);
    const pipeline = sharp(decoded.pixels, {
      raw: { width: decoded.width, height: decoded.height, channels: 4 },
    });
    return {
      pipeline: decoded.alpha ? pipeline : pipeline.removeAlpha(),
      size: { width: decoded.width, height: decoded.height },
    };
  }
}

/**
 * The decoded intermediate: the original scaled down (never up) until it is just large enough
 * for the widest rendition and for a full-size thumbnail crop. Shrink-on-load makes big JPEGs
 * decode at a fraction of their pixels.
 */
export function intermediateSize(original: Size): Size {
  const needed = Math.max(
    VARIANT_WIDTHS.large / original.width,
    THUMB_SIZE / Math.min(original.width, original.height),
  );
  const scale = Math.min(1, needed);
  return {
    width: Math.max(1, Math.round(original.width * scale)),
    height: Math.max(1, Math.round(original.height * scale)),
  };
}

async function renderVariant(
  image: Sharp,
  variant: Rendition['variant'],
  original: Size,
): Promise<Rendition> {
  const { width, height } = renditionSize(variant, original);
  const data = await image
    .resize(width, height, { fit: variant === 'thumb' ? 'cover' : 'fill', kernel: 'lanczos3' })
    .webp({ quality: WEBP_QUALITY, effort: WEBP_EFFORT })
    .toBuffer();
  return { variant, data, width, height };
}

/** BlurHash and dominant colour, both from one tiny RGBA copy. */
async function placeholders(image: Sharp): Promise<{ blurhash: string; dominantColor: string }> {
  const { data, info } = await image
    .resize(TINY_SIDE, TINY_SIDE, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const landscape = info.width >= info.height;
  return {
    blurhash: encodeBlurhash(
      new Uint8ClampedArray(data),
      info.width,
      info.height,
      landscape ? 4 : 3,
      landscape ? 3 : 4,
    ),
    dominantColor: dominantColor(data),
  };
}

/**
 * The most common colour: pixels are bucketed by their top bits per channel, and the fullest
 * bucket's mean is the answer (an average of the whole picture would be a muddy grey).
 */
export function dominantColor(rgba: Uint8Array): string {
  const shift = 8 - DOMINANT_BITS;
  const buckets = new Map<number, { n: number; r: number; g: number; b: number }>();
  let best = { n: 0, r: 0, g: 0, b: 0 };
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    if (rgba[i + 3]! < 128) continue; // transparent pixels have no colour worth showing
    const [r, g, b] = [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
    const key = ((r >> shift) << (2 * DOMINANT_BITS)) | ((g >> shift) << DOMINANT_BITS) | (b >> shift);
    const bucket = buckets.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    bucket.n++;
    bucket.r += r;
    bucket.g += g;
    bucket.b += b;
    buckets.set(key, bucket);
    if (bucket.n > best.n) best = bucket;
  }
  if (best.n === 0) return '#000000';
  return `#${[best.r, best.g, best.b]
    .map((c) =>
      Math.round(c / best.n)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}
