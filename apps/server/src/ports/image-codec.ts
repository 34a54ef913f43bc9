import type { ImageFormat } from '../media/formats.js';
import type { VariantName } from '../media/renditions.js';

export interface Rendition {
  readonly variant: VariantName;
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface ProcessedImage {
  /** Upright size of the original (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
  readonly renditions: readonly Rendition[];
  readonly blurhash: string;
  /** `#rrggbb` */
  readonly dominantColor: string;
  /** 64-bit difference hash, decimal (see media/dhash.ts). */
  readonly phash: string;
}

export type ImageRejection = 'unsupported_format' | 'too_many_pixels' | 'too_large' | 'decode_failed';

/** A picture that can never be processed: the media item fails with this code, it is not retried. */
export class ImageRejectedError extends Error {
  override readonly name = 'ImageRejectedError';
  constructor(
    readonly code: ImageRejection,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns an original into upright, sRGB, metadata-free renditions plus the placeholders and
 * hashes the API shows. Decodes once, under explicit limits; throws ImageRejectedError for
 * input that will never work.
 */
export interface ImageCodec {
  process(original: Buffer, format: ImageFormat): Promise<ProcessedImage>;
  close(): Promise<void>;
}
