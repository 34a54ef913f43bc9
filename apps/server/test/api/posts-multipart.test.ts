import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../contracts/job-queue.contract.js';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';

const CORPUS = '/work/shared/corpus';

/** Serialises a form the way a browser or curl -F would. */
async function multipart(fields: [string, string | { name: string; type: string; bytes: Buffer }][]) {
  const form = new FormData();
  for (const [key, value] of fields) {
    if (typeof value === 'string') form.append(key, value);
    else form.append(key, new Blob([value.bytes], { type: value.type }), value.name);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

for (const shape of await availableShapes()) {
  describe(`one-request posting: multipart POST /posts (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let user: TestUser;
    beforeAll(async () => {
      t = await startTestApp(shape, {}, { workers: true });
      user = await registerUser(t.app);
    });
    afterAll(() => t?.close());

    const post = async (fields: Parameters<typeof multipart>[0]) => {
      const { payload, contentType } = await multipart(fields);
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': contentType },
        payload,
      });
      return { status: response.statusCode, body: response.json() };
    };

    it('uploads two photos and a caption in one request, through the same pipeline, and publishes', async () => {
      const a = await readFile(`${CORPUS}/exif-orientation/Landscape_8.jpg`);
      const b = await readFile(`${CORPUS}/formats/valid_heif_sample.heic`);
      const reply = await post([
        ['caption', '  Two from the #beach  '],
        ['location', 'Porto'],
        ['media', { name: 'a.jpg', type: 'image/jpeg', bytes: a }],
        ['altText', 'the first'],
        ['media', { name: 'b.heic', type: 'image/heic', bytes: b }],
        ['altText', 'the second'],
      ]);
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({
        caption: 'Two from the #beach',
        location: 'Porto',
        hashtags: ['beach'],
      });
      expect(reply.body.media.map((m: { altText: string }) => m.altText)).toEqual([
        'the first',
        'the second',
      ]);
      const published = await waitFor(async () => {
        const r = await call(t.app, 'GET', `/api/v1/posts/${reply.body.id}`, { token: user.accessToken });
        return r.body.status === 'published' ? r.body : undefined;
      }, 30_000);
      expect(published.media.map((m: { width: number; height: number }) => [m.width, m.height])).toEqual([
        [1800, 1200],
        [123, 456],
      ]);
    });

    it('refuses non-photos by their bytes, unknown fields, empty forms and too many files', async () => {
      const html = await post([
        ['media', { name: 'x.jpg', type: 'image/jpeg', bytes: Buffer.from('<html></html>') }],
      ]);
      expect([html.status, html.body.error.code]).toEqual([415, 'unsupported_media_type']);
      const svg = await post([
        ['media', { name: 'x.svg', type: 'image/svg+xml', bytes: Buffer.from('<svg/>') }],
      ]);
      expect([svg.status, svg.body.error.code]).toEqual([415, 'unsupported_media_type']);
      const unknown = await post([['admin', 'yes']]);
      expect([unknown.status, unknown.body.error.details.fields]).toEqual([
        400,
        { admin: 'is not an accepted field' },
      ]);
      const empty = await post([['caption', 'no photo']]);
      expect([empty.status, Object.keys(empty.body.error.details.fields)]).toEqual([400, ['media']]);
      const tiny = await readFile(`${CORPUS}/small/jpeg.jpg`);
      const eleven = await post(
        Array.from(
          { length: 11 },
          (_, i) => ['media', { name: `${i}.jpg`, type: 'image/jpeg', bytes: tiny }] as const,
        ) as never,
      );
      expect([eleven.status, eleven.body.error.code]).toEqual([413, 'too_many_files']);
    });
  });
}
