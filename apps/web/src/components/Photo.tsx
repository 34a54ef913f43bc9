import type { MediaRef } from '@glimpse/contract';
import { useEffect, useRef, useState } from 'react';
import { BLURHASH_SIZE, blurhashPixels } from '../lib/blurhash.js';

/**
 * One photo in a box whose shape is known before any byte arrives (aspect-ratio from the
 * MediaRef), so nothing below it moves when it loads. Behind the image: the dominant colour at
 * once, the BlurHash on the first frame, then the rendition the browser picks from srcset.
 */
export function Photo({
  media,
  alt,
  srcSet,
  sizes,
  src,
  aspect,
  eager = false,
  className = '',
}: {
  media: MediaRef;
  alt: string;
  srcSet: string | undefined;
  sizes: string;
  src: string | undefined;
  aspect: number;
  eager?: boolean;
  className?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const pixels = media.blurhash ? blurhashPixels(media.blurhash) : null;
    if (pixels) canvas.current?.getContext('2d')?.putImageData(pixels, 0, 0);
  }, [media.blurhash]);

  return (
    <div
      className={`photo ${loaded ? 'is-loaded' : ''} ${className}`}
      style={{ aspectRatio: String(aspect), backgroundColor: media.dominantColor ?? undefined }}
    >
      {media.blurhash && (
        <canvas
          ref={canvas}
          className="photo-placeholder"
          width={BLURHASH_SIZE}
          height={BLURHASH_SIZE}
          aria-hidden
        />
      )}
      {src ? (
        <img
          src={src}
          srcSet={srcSet}
          sizes={sizes}
          alt={alt}
          loading={eager ? 'eager' : 'lazy'}
          // The first photo of the feed is the page's largest paint; the rest wait their turn.
          fetchPriority={eager ? 'high' : 'auto'}
          decoding="async"
          width={media.width ?? undefined}
          height={media.height ?? undefined}
          onLoad={() => setLoaded(true)}
        />
      ) : (
        <span className="photo-status" role="img" aria-label={alt}>
          {media.status === 'failed' ? 'This photo could not be processed.' : 'Processing…'}
        </span>
      )}
    </div>
  );
}
