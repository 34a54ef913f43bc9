import { readdir, readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DHASH_HEIGHT, DHASH_WIDTH, dhash, hammingDistance } from '../../src/media/dhash.js';
import { renditionSize } from '../../src/media/renditions.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createSlot, fetchRendition, putUpload, settled } from '../support/media.js';

/**
 * Every file of ../shared/corpus through the real pipeline (slot, PUT, complete, worker),
 * with the outcome each must have: refused at `complete` (not an accepted format by its
 * bytes), failed with a code, or ready with the right upright size.
 */
const CORPUS = '/work/shared/corpus';
const FOLDERS = ['exif-orientation', 'formats', 'pngsuite', 'small'];

/** Files the decoders cannot read: corrupt on purpose, or smaller than any real picture. */
const DECODE_FAILS = new Set([
  'formats/valid_heif_sample-garbled.avif',
  'formats/valid_png_sample_fried.png',
  'pngsuite/xc1n0g08.png', // colour type 1 does not exist
  'pngsuite/xd0n2c08.png', // bit depth 0
  'pngsuite/xd3n2c08.png', // bit depth 3
  'small/gif.gif', // a GIF with no image in it
  'small/webp.webp', // a WebP header with no picture data
]);

/** Upright sizes of the non-PNG files (PNG sizes are read from their IHDR below). */
const SIZES: Record<string, [number, number]> = {
  'formats/valid_gif_sample.gif': [123, 456],
  'formats/valid_heif_sample.avif': [123, 456],
  'formats/valid_heif_sample.heic': [123, 456],
  'formats/valid_heif_sample.heif': [123, 456],
  'formats/valid_jpg_1x2-flipped-big-endian.jpg': [2, 1], // 1x2 stored, EXIF turns it
  'formats/valid_jpg_large.jpg': [1600, 1200],
  'formats/valid_jpg_optimized.jpg': [123, 456],
  'formats/valid_jpg_progressive.jpg': [123, 456],
  'formats/valid_jpg_sample.jpg': [123, 456],
  'formats/valid_jpg_sampleExported.jpg': [123, 456],
  'formats/valid_webp_lossless.webp': [123, 456],
  'formats/valid_webp_lossy.webp': [123, 456],
  'small/gif-transparent.gif': [1, 1],
  'small/jpeg.jpg': [1, 1],
  'small/png-transparent.png': [1, 1],
};
for (let n = 0; n <= 8; n++) SIZES[`exif-orientation/Landscape_${n}.jpg`] = [1800, 1200];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

type Expected =
  { kind: 'refused' } | { kind: 'failed'; code: string } | { kind: 'ready'; width: number; height: number };

/** The expectation, worked out without the code under test. */
function expectation(name: string, bytes: Buffer): Expected {
  if (DECODE_FAILS.has(name)) return { kind: 'failed', code: 'decode_failed' };
  const size = SIZES[name];
  if (size) return { kind: 'ready', width: size[0], height: size[1] };
  const png = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  if (png) return { kind: 'ready', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  return { kind: 'refused' };
}

const files: { name: string; bytes: Buffer; expected: Expected }[] = [];
for (const folder of FOLDERS) {
  for (const file of (await readdir(`${CORPUS}/${folder}`)).sort()) {
    if (/^(LICENSE|SOURCES|PngSuite\.README)|\.md$/.test(file)) continue;
    const name = `${folder}/${file}`;
    const bytes = await readFile(`${CORPUS}/${name}`);
    files.push({ name, bytes, expected: expectation(name, bytes) });
  }
}

async function greyHash(image: Buffer): Promise<string> {
  return dhash(
    await sharp(image).resize(DHASH_WIDTH, DHASH_HEIGHT, { fit: 'fill' }).greyscale().raw().toBuffer(),
  );
}

for (const shape of await availableShapes()) {
  describe(`the real-image corpus through the pipeline (${shape})`, { timeout: 300_000 }, () => {
    let t: TestApp;
    let user: TestUser;
    const outcomes = new Map<
      string,
      {
        complete: number;
        status?: string;
        code?: string | null;
        width?: number | null;
        height?: number | null;
        small?: string;
      }
    >();

    beforeAll(async () => {
      t = await startTestApp(shape, { MEDIA_UPLOADS_PER_MINUTE: '10000' }, { workers: true });
      user = await registerUser(t.app);
      // Eight at a time, as a busy instance would see them.
      const queue = [...files];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let file = queue.shift(); file; file = queue.shift()) {
            const contentType = file.name.endsWith('.png') ? 'image/png' : 'image/jpeg';
            const slot = await createSlot(t, user, file.bytes, contentType);
            expect(await putUpload(t, slot.upload, file.bytes)).toBe(200);
            const complete = await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, {
              token: user.accessToken,
            });
            if (complete.status !== 202) {
              outcomes.set(file.name, { complete: complete.status, code: complete.body.error?.code });
              continue;
            }
            const media = await settled(t, user, slot.media.id, 120_000);
            outcomes.set(file.name, {
              complete: 202,
              status: media.status,
              code: media.error?.code ?? null,
              width: media.width,
              height: media.height,
              small: media.variants?.small.url,
            });
          }
        }),
      );
      // ~230 photos through the real pipeline on a shared 2-core machine: the bound is for a hang.
    }, 300_000);
    afterAll(() => t?.close());

    it(`covers the whole corpus (${files.length} files)`, () => {
      expect(files.length).toBeGreaterThan(200);
      expect(outcomes.size).toBe(files.length);
    });

    it.each(files)('$name', async ({ name, expected }) => {
      const outcome = outcomes.get(name)!;
      if (expected.kind === 'refused') {
        expect(outcome).toEqual({ complete: 415, code: 'unsupported_media_type' });
      } else if (expected.kind === 'failed') {
        expect(outcome).toMatchObject({ complete: 202, status: 'failed', code: expected.code });
      } else {
        expect(outcome).toMatchObject({
          complete: 202,
          status: 'ready',
          width: expected.width,
          height: expected.height,
        });
        const small = await fetchRendition(t, outcome.small!);
        const meta = await sharp(small.body).metadata();
        const want = renditionSize('small', expected);
        expect([meta.format, meta.width, meta.height]).toEqual(['webp', want.width, want.height]);
      }
    });

    it('every EXIF orientation comes out upright: the same picture as orientation 1', async () => {
      const reference = await greyHash(
        (await fetchRendition(t, outcomes.get('exif-orientation/Landscape_1.jpg')!.small!)).body,
      );
      for (let n = 0; n <= 8; n++) {
        const rendition = await fetchRendition(
          t,
          outcomes.get(`exif-orientation/Landscape_${n}.jpg`)!.small!,
        );
        expect(
          hammingDistance(await greyHash(rendition.body), reference),
          `Landscape_${n}`,
        ).toBeLessThanOrEqual(6);
      }
    });

    it('the worker survived all of it', async () => {
      const bytes = files.find((f) => f.name === 'formats/valid_jpg_sample.jpg')!.bytes;
      const slot = await createSlot(t, user, bytes);
      await putUpload(t, slot.upload, bytes);
      await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, { token: user.accessToken });
      expect((await settled(t, user, slot.media.id)).status).toBe('ready');
    });
  });
}
