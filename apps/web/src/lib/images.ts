import type { MediaRef, Post } from '@glimpse/contract';

/**
 * Which rendition the browser may pick, and how tall a photo's box is before any byte arrives.
 * Pure functions: the feed, the post page and the grids all size images through here.
 */

/** Instagram's bounds: taller than 4:5 or wider than 1.91:1 is cropped to fit the column. */
export const MIN_ASPECT = 4 / 5;
export const MAX_ASPECT = 1.91;

/** The feed column's widest size in CSS pixels (styles.css --column). */
export const COLUMN_PX = 630;

/** `sizes` for a full-column photo: the viewport width on phones, the column on desktops. */
export const COLUMN_SIZES = `(max-width: ${COLUMN_PX}px) 100vw, ${COLUMN_PX}px`;
/** `sizes` for a cell of the three-column grid. */
export const GRID_SIZES = `(max-width: ${COLUMN_PX}px) 33vw, 210px`;

export function aspectOf(media: Pick<MediaRef, 'width' | 'height'>): number {
  if (!media.width || !media.height) return 1;
  return Math.min(MAX_ASPECT, Math.max(MIN_ASPECT, media.width / media.height));
}

/** The 320/640/1080 px renditions as `srcset` candidates; the browser picks by slot x DPR. */
export function columnSrcSet(media: MediaRef): string | undefined {
  const v = media.variants;
  if (!v) return undefined;
  const seen = new Set<number>();
  return [v.small, v.medium, v.large]
    .filter((variant) => !seen.has(variant.width) && seen.add(variant.width))
    .map((variant) => `${variant.url} ${variant.width}w`)
    .join(', ');
}

/** Grid cells: the 150 px square thumb, or the 320 px rendition on dense screens. */
export function gridSrcSet(media: MediaRef): string | undefined {
  const v = media.variants;
  if (!v) return undefined;
  return `${v.thumb.url} ${v.thumb.width}w, ${v.small.url} ${v.small.width}w, ${v.medium.url} ${v.medium.width}w`;
}

/** The caption with its hashtags and mentions spelled out as words, cut to a readable length. */
function captionWords(caption: string): string {
  const text = caption.replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 117).trimEnd()}…` : text;
}

/**
 * Alt text for photo `index` of a post: the author's own words when given (altTexts), else a
 * sentence from the caption and author, so a screen reader never hears only "image".
 */
export function altTextFor(post: Pick<Post, 'author' | 'caption' | 'media'>, index: number): string {
  const own = post.media[index]?.altText?.trim();
  if (own) return own;
  const count = post.media.length;
  const which = count > 1 ? ` ${index + 1} of ${count}` : '';
  const by = post.author.displayName || post.author.username;
  const caption = post.caption ? captionWords(post.caption) : '';
  return caption ? `Photo${which} by ${by}: ${caption}` : `Photo${which} by ${by}`;
}
