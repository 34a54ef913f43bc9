import type { MediaRef, Post } from '@glimpse/contract';
import { describe, expect, it } from 'vitest';
import { tokenizeCaption } from '../src/lib/caption.js';
import { altTextFor, aspectOf, columnSrcSet, gridSrcSet, MAX_ASPECT, MIN_ASPECT } from '../src/lib/images.js';
import { shortAge } from '../src/lib/time.js';

const variant = (name: string, width: number, height: number) => ({
  url: `/media/m1/${name}.webp`,
  width,
  height,
  format: 'webp',
});
function media(width: number, height: number, altText: string | null = null): MediaRef {
  return {
    id: '1',
    status: 'ready',
    error: null,
    width,
    height,
    blurhash: null,
    dominantColor: null,
    altText,
    variants: {
      thumb: variant('thumb', 150, 150),
      small: variant('small', Math.min(320, width), 1),
      medium: variant('medium', Math.min(640, width), 1),
      large: variant('large', Math.min(1080, width), 1),
    },
  };
}
const author = { username: 'ada', displayName: 'Ada Lovelace' } as Post['author'];

describe('caption tokens', () => {
  it('links the hashtags and mentions the server kept, and leaves the rest as text', () => {
    const tokens = tokenizeCaption('Sunset at #Café with @Bob and @nobody, see C#. Mail a@b.c #1', {
      hashtags: ['café'],
      mentions: ['bob'],
    });
    expect(tokens.filter((t) => t.kind !== 'text')).toEqual([
      { kind: 'hashtag', text: '#Café', name: 'café' },
      { kind: 'mention', text: '@Bob', username: 'bob' },
    ]);
    // Nothing is lost or duplicated: the tokens spell the caption back.
    expect(tokens.map((t) => t.text).join('')).toBe(
      'Sunset at #Café with @Bob and @nobody, see C#. Mail a@b.c #1',
    );
  });

  it('ends a mention at a sentence full stop, as the server does', () => {
    const tokens = tokenizeCaption('Thanks @ada.', { mentions: ['ada'] });
    expect(tokens).toEqual([
      { kind: 'text', text: 'Thanks ' },
      { kind: 'mention', text: '@ada', username: 'ada' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('without a known list, links every well-formed token', () => {
    const kinds = tokenizeCaption('#a @b #2').map((t) => t.kind);
    expect(kinds).toEqual(['hashtag', 'text', 'mention', 'text']);
  });
});

describe('image sizing', () => {
  it('bounds the box between 4:5 and 1.91:1 like the column crops', () => {
    expect(aspectOf(media(1000, 3000))).toBe(MIN_ASPECT);
    expect(aspectOf(media(4000, 1000))).toBe(MAX_ASPECT);
    expect(aspectOf(media(1200, 800))).toBeCloseTo(1.5);
  });

  it('offers each distinct rendition width once, so a small original is never listed three times', () => {
    expect(columnSrcSet(media(4000, 3000))).toBe(
      '/media/m1/small.webp 320w, /media/m1/medium.webp 640w, /media/m1/large.webp 1080w',
    );
    expect(columnSrcSet(media(500, 400))).toBe('/media/m1/small.webp 320w, /media/m1/medium.webp 500w');
    expect(gridSrcSet(media(4000, 3000))).toMatch(/^\/media\/m1\/thumb\.webp 150w, /);
  });

  it("uses the author's alt text, else a sentence from the caption", () => {
    const post = {
      author,
      caption: 'Waterfall #iceland',
      media: [media(10, 10, 'A waterfall'), media(10, 10)],
    };
    expect(altTextFor(post, 0)).toBe('A waterfall');
    expect(altTextFor(post, 1)).toBe('Photo 2 of 2 by Ada Lovelace: Waterfall #iceland');
    expect(altTextFor({ ...post, caption: '', media: [media(1, 1)] }, 0)).toBe('Photo by Ada Lovelace');
    expect(altTextFor({ ...post, caption: 'x'.repeat(500) }, 1).length).toBeLessThan(160);
  });
});

describe('ages', () => {
  it('says now, minutes, hours, days, then a date', () => {
    const now = Date.parse('2026-06-15T12:00:00Z');
    expect(shortAge('2026-06-15T11:59:30Z', now)).toBe('now');
    expect(shortAge('2026-06-15T11:15:00Z', now)).toBe('45m');
    expect(shortAge('2026-06-15T02:00:00Z', now)).toBe('10h');
    expect(shortAge('2026-06-12T12:00:00Z', now)).toBe('3d');
    expect(shortAge('2026-05-01T12:00:00Z', now)).not.toMatch(/^\d+[mhd]$/);
  });
});
