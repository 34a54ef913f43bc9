import { describe, expect, it } from 'vitest';
import { admitFiles, checkFile, formatMegabytes, photoType, processingFailure } from '../src/lib/files.js';

const MB = 1024 * 1024;
const file = (name: string, type: string, size = 1000) => ({ name, type, size });

describe('photoType', () => {
  it('trusts a declared photo type', () => {
    expect(photoType(file('a.jpg', 'image/jpeg'))).toBe('image/jpeg');
    expect(photoType(file('a', 'image/PNG'))).toBe('image/png');
  });

  it('infers from the extension when the browser gives no type (HEIC on Linux)', () => {
    expect(photoType(file('IMG_0001.HEIC', ''))).toBe('image/heic');
    expect(photoType(file('x.heif', 'application/octet-stream'))).toBe('image/heif');
    expect(photoType(file('x.avif', ''))).toBe('image/avif');
    expect(photoType(file('x.JPEG', ''))).toBe('image/jpeg');
    expect(photoType(file('x.webp', ''))).toBe('image/webp');
    expect(photoType(file('x.gif', ''))).toBe('image/gif');
  });

  it('refuses other types, whatever the extension says', () => {
    expect(photoType(file('notes.pdf', 'application/pdf'))).toBeNull();
    expect(photoType(file('photo.jpg', 'image/svg+xml'))).toBeNull();
    expect(photoType(file('scan.bmp', ''))).toBeNull();
    expect(photoType(file('noextension', ''))).toBeNull();
  });
});

describe('checkFile', () => {
  it('accepts a photo under the limit', () => {
    expect(checkFile(file('a.png', 'image/png', 50 * MB))).toEqual({ ok: true, type: 'image/png' });
  });

  it('names the file and the size when it is too large', () => {
    expect(checkFile(file('big.jpg', 'image/jpeg', Math.round(62.4 * MB)))).toEqual({
      ok: false,
      message: 'big.jpg is 62.4 MB; photos can be at most 50 MB.',
    });
  });

  it('names the file and the accepted kinds for a refused type', () => {
    const result = checkFile(file('drawing.svg', 'image/svg+xml'));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^drawing\.svg .*JPEG, PNG, HEIC, WebP, AVIF or GIF\.$/);
  });

  it('refuses an empty file', () => {
    expect(checkFile(file('a.jpg', 'image/jpeg', 0)).ok).toBe(false);
  });
});

describe('admitFiles', () => {
  it('keeps the first photos up to the limit and says how many were left out', () => {
    const picked = Array.from({ length: 12 }, (_, i) => file(`${i}.jpg`, 'image/jpeg'));
    const { accepted, problems } = admitFiles(picked, 0, 10);
    expect(accepted.map((a) => a.file.name)).toEqual(picked.slice(0, 10).map((f) => f.name));
    expect(problems).toEqual(['A post can have at most 10 photos, so 2 photos were left out.']);
  });

  it('counts the photos already there', () => {
    const { accepted, problems } = admitFiles(
      [file('a.jpg', 'image/jpeg'), file('b.jpg', 'image/jpeg')],
      9,
      10,
    );
    expect(accepted).toHaveLength(1);
    expect(problems[0]).toMatch(/1 photo was left out/);
  });

  it('reports refused files without counting them against the limit', () => {
    const { accepted, problems } = admitFiles([file('a.txt', 'text/plain'), file('b.heic', '')], 0, 10);
    expect(accepted).toEqual([{ file: file('b.heic', ''), type: 'image/heic' }]);
    expect(problems).toHaveLength(1);
  });
});

describe('formatMegabytes', () => {
  it('uses one decimal', () => {
    expect(formatMegabytes(50 * MB)).toBe('50 MB');
    expect(formatMegabytes(1.25 * MB)).toBe('1.3 MB');
  });
});

describe('processingFailure', () => {
  it('turns decoder codes into sentences', () => {
    expect(processingFailure('decode_failed')).toBe('This photo looks damaged and could not be read.');
    expect(processingFailure('something_new')).toBe('This photo could not be processed.');
    expect(processingFailure(null)).toBe('This photo could not be processed.');
  });
});
