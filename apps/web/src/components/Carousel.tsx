import type { Post } from '@glimpse/contract';
import { useRef, useState, type KeyboardEvent } from 'react';
import { altTextFor, aspectOf, COLUMN_SIZES, columnSrcSet } from '../lib/images.js';
import { Photo } from './Photo.js';
import { ChevronLeft, ChevronRight } from './icons.js';

/**
 * A post's photos. One photo is just a Photo; several slide with native scroll snapping (touch
 * swipes for free), previous/next buttons, arrow keys and dots. Every slide shares the first
 * photo's shape, as Instagram does, so the card never changes height while swiping.
 */
export function Carousel({ post, eager = false }: { post: Post; eager?: boolean }) {
  const track = useRef<HTMLDivElement>(null);
  const [index, setIndex] = useState(0);
  const aspect = aspectOf(post.media[0]!);
  const count = post.media.length;

  const photo = (i: number) => {
    const media = post.media[i]!;
    return (
      <Photo
        media={media}
        alt={altTextFor(post, i)}
        src={media.variants?.medium.url}
        srcSet={columnSrcSet(media)}
        sizes={COLUMN_SIZES}
        aspect={aspect}
        eager={eager && i === 0}
      />
    );
  };
  if (count === 1) return <div className="post-media">{photo(0)}</div>;

  const go = (i: number) => {
    const next = Math.max(0, Math.min(count - 1, i));
    track.current?.scrollTo({ left: next * track.current.clientWidth, behavior: 'smooth' });
    setIndex(next);
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    event.preventDefault();
    go(index + (event.key === 'ArrowRight' ? 1 : -1));
  };

  return (
    <div
      className="post-media carousel"
      role="group"
      aria-roledescription="carousel"
      aria-label={`${count} photos`}
      onKeyDown={onKey}
    >
      <div
        className="carousel-track"
        ref={track}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          setIndex(Math.round(el.scrollLeft / Math.max(1, el.clientWidth)));
        }}
      >
        {post.media.map((media, i) => (
          <div
            className="carousel-slide"
            key={media.id}
            role="group"
            aria-roledescription="slide"
            aria-label={`${i + 1} of ${count}`}
            aria-hidden={i !== index}
          >
            {photo(i)}
          </div>
        ))}
      </div>
      {index > 0 && (
        <button
          type="button"
          className="carousel-nav prev"
          aria-label="Previous photo"
          onClick={() => go(index - 1)}
        >
          <ChevronLeft />
        </button>
      )}
      {index < count - 1 && (
        <button
          type="button"
          className="carousel-nav next"
          aria-label="Next photo"
          onClick={() => go(index + 1)}
        >
          <ChevronRight />
        </button>
      )}
      <div className="carousel-dots" aria-hidden>
        {post.media.map((media, i) => (
          <span key={media.id} className={i === index ? 'dot is-active' : 'dot'} />
        ))}
      </div>
      <span className="carousel-count" aria-live="polite">
        {index + 1}/{count}
      </span>
    </div>
  );
}
