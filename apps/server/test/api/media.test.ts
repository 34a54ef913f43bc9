import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileMediaJob } from '../../src/media/media.worker.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createSlot, fetchRendition, putUpload, settled, uploadPhoto } from '../support/media.js';
import { syntheticPng } from '../support/images.js';

const CORPUS = '/work/shared/corpus';
const landscape = await readFile(`${CORPUS}/exif-orientation/Landscape_6.jpg`);

for (const shape of await availableShapes()) {
  describe(`the media flow (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let user: TestUser;
    beforeAll(async () => {
      t = await startTestApp(shape, {}, { workers: true });
      user = await registerUser(t.app);
    });
    afterAll(() => t?.close());

    it('slot → PUT → complete → ready: upright renditions, served immutable with a strong ETag', async () => {
      const { id, complete } = await uploadPhoto(t, user, landscape);
      expect(complete.status).toBe(202);
      expect(complete.body.media).toMatchObject({ id, status: 'processing', variants: null });
      const media = await settled(t, user, id);
      // Landscape_6 is stored on its side with EXIF orientation 6: upright it is 1800x1200.
      expect(media).toMatchObject({ status: 'ready', width: 1800, height: 1200, error: null });
      expect(media.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{20,}$/);
      expect(media.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
      expect(media.variants).toMatchObject({
        thumb: { width: 150, height: 150, format: 'webp' },
        small: { width: 320, height: 213 },
        medium: { width: 640, height: 427 },
        large: { width: 1080, height: 720 },
      });
      for (const variant of Object.values(media.variants!)) {
        const reply = await fetchRendition(t, variant.url);
        expect(reply.status).toBe(200);
        expect(reply.headers['content-type']).toBe('image/webp');
        expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(reply.headers['x-content-type-options']).toBe('nosniff');
        expect(reply.headers.etag).toMatch(/^"[^"]+"$/);
        const meta = await sharp(reply.body).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual(['webp', variant.width, variant.height]);
      }
    });

    it('answers conditional and range requests', async () => {
      const { id } = await uploadPhoto(t, user, await readFile(`${CORPUS}/formats/valid_jpg_large.jpg`));
      const url = (await settled(t, user, id)).variants!.small.url;
      const full = await fetchRendition(t, url);
      expect((await fetchRendition(t, url, { 'if-none-match': full.headers.etag as string })).status).toBe(
        304,
      );
      const part = await fetchRendition(t, url, { range: 'bytes=10-19' });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${full.body.length}`);
      expect(part.body.equals(full.body.subarray(10, 20))).toBe(true);
      const suffix = await fetchRendition(t, url, { range: 'bytes=-5' });
      expect(suffix.body.equals(full.body.subarray(-5))).toBe(true);
      const outside = await fetchRendition(t, url, { range: `bytes=${full.body.length}-` });
      expect(outside.status).toBe(416);
      expect(outside.headers['content-range']).toBe(`bytes */${full.body.length}`);
    });

    it('complete is idempotent and the photo is processed once', async () => {
      const before = await processedCount(t);
      const slot = await createSlot(t, user, landscape);
      expect(await putUpload(t, slot.upload, landscape)).toBe(200);
      const completes = await Promise.all(
        [1, 2, 3].map(() =>
          call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, { token: user.accessToken }),
        ),
      );
      expect(completes.map((c) => c.status)).toEqual([202, 202, 202]);
      await settled(t, user, slot.media.id);
      expect(
        (await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, { token: user.accessToken }))
          .body.media.status,
      ).toBe('ready');
      await new Promise((r) => setTimeout(r, 300));
      expect((await processedCount(t)) - before).toBe(1);
    });

    it('refuses to complete before the bytes arrived, and refuses bytes of the wrong size', async () => {
      const slot = await createSlot(t, user, landscape);
      const early = await call(t.app, 'POST', `/api/v1/media/${slot.media.id}/complete`, {
        token: user.accessToken,
      });
      expect(early.status).toBe(400);
      expect(early.body.error.code).toBe('upload_missing');
      // The URL is bound to the declared length: a different body is refused by the store.
      const shorter = landscape.subarray(0, landscape.length - 10);
      expect(
        await putUpload(t, slot.upload, shorter, {
          ...slot.upload.headers,
          'content-length': String(shorter.length),
        }),
      ).toBe(403);
      // And to the declared type.
      expect(
        await putUpload(t, slot.upload, landscape, { ...slot.upload.headers, 'content-type': 'image/png' }),
      ).toBe(403);
    });

    it('an HTML file named .jpg is refused by its bytes, whatever it claims to be', async () => {
      const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
      const { id, complete } = await uploadPhoto(t, user, html, 'image/jpeg');
      expect(complete.status).toBe(415);
      expect(complete.body.error.code).toBe('unsupported_media_type');
      const media = await call(t.app, 'GET', `/api/v1/media/${id}`, { token: user.accessToken });
      expect(media.body).toMatchObject({ status: 'failed', error: { code: 'unsupported_format' } });
    });

    it('a PNG claiming 50000x50000 fails as too_many_pixels without being decoded', async () => {
      const rssBefore = process.memoryUsage().rss;
      const { id } = await uploadPhoto(t, user, syntheticPng(50_000, 50_000), 'image/png');
      const media = await settled(t, user, id);
      expect(media).toMatchObject({ status: 'failed', error: { code: 'too_many_pixels' }, variants: null });
      // Decoding it would take 7.5 GB; the header alone was read.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
    });

    it('a truncated JPEG either fails as decode_failed or comes out whole, and the worker lives on', async () => {
      const { id } = await uploadPhoto(t, user, landscape.subarray(0, 20_000));
      const media = await settled(t, user, id);
      if (media.status === 'failed') expect(media.error?.code).toBe('decode_failed');
      const after = await uploadPhoto(t, user, await readFile(`${CORPUS}/formats/valid_jpg_optimized.jpg`));
      expect((await settled(t, user, after.id)).status).toBe('ready');
    });

    it('strips EXIF and GPS: no served byte carries them', async () => {
      const gps = await sharp(landscape)
        .withExif({
          IFD0: { Copyright: 'SECRET-OWNER' },
          IFD3: {
            GPSLatitudeRef: 'N',
            GPSLatitude: '51/1 30/1 3230/100',
            GPSLongitudeRef: 'W',
            GPSLongitude: '0/1 7/1 4000/100',
          },
        })
        .jpeg()
        .toBuffer();
      expect((await sharp(gps).metadata()).exif?.includes(Buffer.from('SECRET-OWNER'))).toBe(true);
      const { id } = await uploadPhoto(t, user, gps);
      const media = await settled(t, user, id);
      for (const variant of Object.values(media.variants!)) {
        const { body } = await fetchRendition(t, variant.url);
        const meta = await sharp(body).metadata();
        expect([meta.exif, meta.xmp, meta.iptc, meta.icc]).toEqual([
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
        for (const marker of ['Exif', 'EXIF', 'XMP', 'SECRET-OWNER', 'GPS'])
          expect(body.includes(Buffer.from(marker))).toBe(false);
      }
    });

    it('a JPEG with HTML appended is served without it', async () => {
      const polyglot = Buffer.concat([landscape, Buffer.from('<script>alert(document.cookie)</script>')]);
      const { id } = await uploadPhoto(t, user, polyglot);
      const media = await settled(t, user, id);
      expect(media.status).toBe('ready');
      for (const variant of Object.values(media.variants!)) {
        expect((await fetchRendition(t, variant.url)).body.includes(Buffer.from('<script'))).toBe(false);
      }
    });

    it('a CMYK JPEG keeps its colours (not inverted)', async () => {
      const crimson = { r: 220, g: 20, b: 60 };
      const cmyk = await sharp({ create: { width: 200, height: 160, channels: 3, background: crimson } })
        .toColourspace('cmyk')
        .jpeg({ quality: 95 })
        .toBuffer();
      expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
      const { id } = await uploadPhoto(t, user, cmyk);
      const media = await settled(t, user, id);
      const { body } = await fetchRendition(t, media.variants!.small.url);
      const { data } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
      const [r, g, b] = [data[0]!, data[1]!, data[2]!];
      expect(Math.abs(r - crimson.r)).toBeLessThan(30);
      expect(Math.abs(g - crimson.g)).toBeLessThan(30);
      expect(Math.abs(b - crimson.b)).toBeLessThan(30);
      expect(media.dominantColor).not.toBe('#000000');
    });

    it('an identical re-upload by the same owner reuses the stored renditions', async () => {
      const bytes = await readFile(`${CORPUS}/formats/valid_webp_lossy.webp`);
      const first = await settled(t, user, (await uploadPhoto(t, user, bytes, 'image/webp')).id);
      const second = await settled(t, user, (await uploadPhoto(t, user, bytes, 'image/webp')).id);
      expect(second.id).not.toBe(first.id);
      expect(second.variants!.large.url).toBe(first.variants!.large.url);
      expect(second.blurhash).toBe(first.blurhash);
      // Someone else's identical upload gets its own renditions.
      const other = await registerUser(t.app);
      const third = await settled(t, other, (await uploadPhoto(t, other, bytes, 'image/webp')).id);
      expect(third.variants!.large.url).toContain(`/${third.id}/`);
    });

    it('serves private accounts only through signed, expiring URLs', async () => {
      const owner = await registerUser(t.app);
      await call(t.app, 'PATCH', '/api/v1/me', { token: owner.accessToken, body: { isPrivate: true } });
      const media = await settled(t, owner, (await uploadPhoto(t, owner, landscape)).id);
      const signed = new URL(media.variants!.medium.url);
      expect(signed.searchParams.get('exp')).toMatch(/^\d+$/);
      const ok = await fetchRendition(t, signed.toString());
      expect(ok.status).toBe(200);
      const maxAge = Number(/max-age=(\d+)/.exec(String(ok.headers['cache-control']))![1]);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(2 * 3600);
      const unsigned = await fetchRendition(t, `${signed.origin}${signed.pathname}`);
      expect(unsigned.status).toBe(403);
      signed.searchParams.set('sig', `${signed.searchParams.get('sig')!.slice(0, -2)}AA`);
      expect((await fetchRendition(t, signed.toString())).status).toBe(403);
      const expired = new URL(media.variants!.medium.url);
      expired.searchParams.set('exp', String(Math.floor(Date.now() / 1000) - 10));
      expect((await fetchRendition(t, expired.toString())).status).toBe(403);
      // A signature for one rendition does not open another.
      const other = new URL(media.variants!.large.url);
      other.searchParams.set('sig', new URL(media.variants!.medium.url).searchParams.get('sig')!);
      expect((await fetchRendition(t, other.toString())).status).toBe(403);
    });

    it('the reconciler re-queues media stuck in processing, then gives up after three tries', async () => {
      const db = t.infra.store.db;
      const stuck = await uploadPhoto(
        t,
        user,
        await readFile(`${CORPUS}/formats/valid_png_sample.png`),
        'image/png',
      );
      await settled(t, user, stuck.id);
      // Pretend its job was lost ten minutes ago: back to processing, untouched since.
      await sql`UPDATE media SET status = 'processing', updated_at = now() - interval '11 minutes' WHERE id = ${stuck.id}`.execute(
        db,
      );
      const hopeless = await uploadPhoto(
        t,
        user,
        await readFile(`${CORPUS}/formats/valid_gif_sample.gif`),
        'image/gif',
      );
      await settled(t, user, hopeless.id);
      await sql`UPDATE media SET status = 'processing', requeues = 3, updated_at = now() - interval '11 minutes' WHERE id = ${hopeless.id}`.execute(
        db,
      );

      await reconcileMediaJob({
        db,
        objects: t.infra.objects,
        metrics: t.metrics,
        log: pino({ level: 'silent' }),
      })(
        { at: new Date().toISOString() },
        {
          id: 'test',
          queue: 'media.reconcile',
          topic: 'maintenance.frequent',
          attempt: 1,
          signal: new AbortController().signal,
        },
      );
      expect(await settled(t, user, stuck.id)).toMatchObject({ status: 'ready' });
      const requeues = await db
        .selectFrom('media')
        .select('requeues')
        .where('id', '=', stuck.id)
        .executeTakeFirstOrThrow();
      expect(requeues.requeues).toBe(1);
      expect(await settled(t, user, hopeless.id)).toMatchObject({
        status: 'failed',
        error: { code: 'processing_stalled' },
      });
    });

    it("someone else's media is invisible, and cannot be completed", async () => {
      const { id } = await uploadPhoto(t, user, landscape);
      const stranger = await registerUser(t.app);
      for (const [method, url] of [
        ['GET', `/api/v1/media/${id}`],
        ['POST', `/api/v1/media/${id}/complete`],
      ] as const) {
        const reply = await call(t.app, method, url, { token: stranger.accessToken });
        expect(reply.status).toBe(404);
        expect(reply.body.error.code).toBe('not_found');
      }
    });
  });
}

async function processedCount(t: TestApp): Promise<number> {
  const metric = await t.metrics.registry.getSingleMetric('glimpse_media_processed_total')!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}
