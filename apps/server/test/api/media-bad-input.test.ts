import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createSlot, putUpload } from '../support/media.js';

const photo = await readFile('/work/shared/corpus/formats/valid_jpg_sample.jpg');

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string | ((ctx: { mediaId: string; uploadUrl: string }) => string);
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  auth?: boolean;
  status: number;
  code: string;
  field?: string;
}

const slot = (body: unknown): Pick<Case, 'method' | 'url' | 'body' | 'auth'> => ({
  method: 'POST',
  url: '/api/v1/media/uploads',
  body,
  auth: true,
});

/** Every route of the media flow, thrown bad input; none may yield a 500. */
const cases: Case[] = [
  {
    name: 'slot: SVG',
    ...slot({ contentType: 'image/svg+xml', size: 100 }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'slot: TIFF',
    ...slot({ contentType: 'image/tiff', size: 100 }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'slot: HTML',
    ...slot({ contentType: 'text/html', size: 100 }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'slot: PSD',
    ...slot({ contentType: 'image/vnd.adobe.photoshop', size: 100 }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'slot: over 50 MiB',
    ...slot({ contentType: 'image/jpeg', size: 50 * 1024 * 1024 + 1 }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'slot: zero bytes',
    ...slot({ contentType: 'image/jpeg', size: 0 }),
    status: 400,
    code: 'validation_failed',
    field: 'size',
  },
  {
    name: 'slot: size as a string',
    ...slot({ contentType: 'image/jpeg', size: '100' }),
    status: 400,
    code: 'validation_failed',
    field: 'size',
  },
  {
    name: 'slot: fractional size',
    ...slot({ contentType: 'image/jpeg', size: 10.5 }),
    status: 400,
    code: 'validation_failed',
    field: 'size',
  },
  {
    name: 'slot: missing type',
    ...slot({ size: 100 }),
    status: 400,
    code: 'validation_failed',
    field: 'contentType',
  },
  {
    name: 'slot: 101-character type',
    ...slot({ contentType: `image/${'x'.repeat(95)}`, size: 1 }),
    status: 400,
    code: 'validation_failed',
    field: 'contentType',
  },
  {
    name: 'slot: unknown field',
    ...slot({ contentType: 'image/jpeg', size: 100, name: 'a.jpg' }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'slot: no token',
    method: 'POST',
    url: '/api/v1/media/uploads',
    body: { contentType: 'image/jpeg', size: 1 },
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'complete: malformed id',
    method: 'POST',
    url: '/api/v1/media/abc/complete',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'complete: id beyond 64 bits',
    method: 'POST',
    url: '/api/v1/media/99999999999999999999/complete',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'complete: unknown id',
    method: 'POST',
    url: '/api/v1/media/123456789/complete',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'complete: before the upload',
    method: 'POST',
    url: (c) => `/api/v1/media/${c.mediaId}/complete`,
    auth: true,
    status: 400,
    code: 'upload_missing',
  },
  {
    name: 'complete: no token',
    method: 'POST',
    url: (c) => `/api/v1/media/${c.mediaId}/complete`,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'get: unknown id',
    method: 'GET',
    url: '/api/v1/media/123456789',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'get: malformed id',
    method: 'GET',
    url: '/api/v1/media/-1',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'rendition: unknown id',
    method: 'GET',
    url: '/media/123456789/large.webp',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'rendition: not ready yet',
    method: 'GET',
    url: (c) => `/media/${c.mediaId}/large.webp`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'rendition: unknown variant',
    method: 'GET',
    url: '/media/123456789/huge.webp',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'rendition: the original',
    method: 'GET',
    url: (c) => `/media/${c.mediaId}/original`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'rendition: path traversal',
    method: 'GET',
    url: '/media/..%2F..%2Fpg/large.webp',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'rendition: not an id',
    method: 'GET',
    url: '/media/abc/thumb.webp',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'upload: no signature',
    method: 'PUT',
    url: (c) => new URL(c.uploadUrl).pathname,
    raw: 'x',
    headers: { 'content-type': 'image/jpeg' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'upload: forged signature',
    method: 'PUT',
    url: (c) => forge(c.uploadUrl, 'signature', 'A'.repeat(43)),
    raw: 'x',
    headers: { 'content-type': 'image/jpeg' },
    status: 403,
    code: 'signature_invalid',
  },
  {
    name: 'upload: expiry moved',
    method: 'PUT',
    url: (c) => forge(c.uploadUrl, 'expires', String(Math.floor(Date.now() / 1000) + 86_400)),
    raw: 'x',
    headers: { 'content-type': 'image/jpeg' },
    status: 403,
    code: 'signature_invalid',
  },
  {
    name: 'upload: another key',
    method: 'PUT',
    url: (c) => relative(c.uploadUrl).replace('/original?', '/large.webp?'),
    raw: 'x',
    headers: { 'content-type': 'image/jpeg' },
    status: 403,
    code: 'signature_invalid',
  },
  {
    name: 'upload: invalid key',
    method: 'PUT',
    url: (c) => relative(c.uploadUrl).replace('/original?', '/../../pg/x?'),
    raw: 'x',
    headers: { 'content-type': 'image/jpeg' },
    status: 403,
    code: 'signature_invalid',
  },
];

function relative(url: string): string {
  const { pathname, search } = new URL(url);
  return pathname + search;
}
function forge(url: string, param: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(param, value);
  return u.pathname + u.search;
}

describe('media routes reject bad input with the API 4xx (embedded)', () => {
  let t: TestApp;
  let user: TestUser;
  let ctx: { mediaId: string; uploadUrl: string };
  beforeAll(async () => {
    t = await startTestApp('embedded');
    user = await registerUser(t.app);
    const s = await createSlot(t, user, photo);
    ctx = { mediaId: s.media.id, uploadUrl: s.upload.url };
  });
  afterAll(() => t?.close());

  it.each(cases)('$name → $status $code', async (c) => {
    const url = typeof c.url === 'function' ? c.url(ctx) : c.url;
    const reply = await call(t.app, c.method, url, {
      ...(c.auth ? { token: user.accessToken } : {}),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.raw !== undefined ? { raw: c.raw } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
      status: c.status,
      code: c.code,
    });
    if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
  });

  it('the local upload route needs the exact signed length (a chunked body is refused)', async () => {
    const s = await createSlot(t, user, photo);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { pathname, search } = new URL(s.upload.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${address}${pathname}${search}`,
        { method: 'PUT', headers: { 'content-type': 'image/jpeg' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      // No Content-Length: Node sends the body chunked.
      req.write(photo.subarray(0, 100));
      req.end(photo.subarray(100));
    });
    expect(status).toBe(411);
    expect(await putUpload(t, s.upload, photo)).toBe(200);
  });

  it('no 500 was answered', async () => {
    const values = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
    expect(values.filter((v) => v.labels.status_code === '500')).toEqual([]);
  });
});

describe('upload limits (embedded)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('embedded', {
      MEDIA_UPLOADS_PER_MINUTE: '3',
      MEDIA_QUOTA_BYTES: String(photo.length * 2),
    });
  });
  afterAll(() => t?.close());

  it('caps upload slots per user per minute with 429 and Retry-After', async () => {
    const user = await registerUser(t.app);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (
          await call(t.app, 'POST', '/api/v1/media/uploads', {
            token: user.accessToken,
            body: { contentType: 'image/jpeg', size: 10 },
          })
        ).status,
      );
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    const other = await registerUser(t.app);
    expect(
      (
        await call(t.app, 'POST', '/api/v1/media/uploads', {
          token: other.accessToken,
          body: { contentType: 'image/jpeg', size: 10 },
        })
      ).status,
    ).toBe(201);
  });

  it('enforces the storage quota with 413 quota_exceeded', async () => {
    const user = await registerUser(t.app);
    await createSlot(t, user, photo);
    await createSlot(t, user, photo);
    const over = await call(t.app, 'POST', '/api/v1/media/uploads', {
      token: user.accessToken,
      body: { contentType: 'image/jpeg', size: 1 },
    });
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({
      code: 'quota_exceeded',
      details: { quotaBytes: photo.length * 2, usedBytes: photo.length * 2 },
    });
  });
});
