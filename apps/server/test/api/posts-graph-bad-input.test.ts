import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';
import { createPost, readyMedia } from '../support/world.js';

interface Ctx {
  me: TestUser;
  other: TestUser;
  myPost: string;
  media: string[];
  uploading: string;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string | ((c: Ctx) => string);
  body?: unknown | ((c: Ctx) => unknown);
  auth?: boolean;
  status: number;
  code: string;
  field?: string;
}

const long = (n: number) => 'x'.repeat(n);
const posts = (body: (c: Ctx) => unknown): Pick<Case, 'method' | 'url' | 'body' | 'auth'> => ({
  method: 'POST',
  url: '/api/v1/posts',
  body,
  auth: true,
});

/** Every field of the posts and graph routes, thrown bad input; none may yield a 500. */
const cases: Case[] = [
  {
    name: 'post: zero media',
    ...posts(() => ({ mediaIds: [] })),
    status: 400,
    code: 'validation_failed',
    field: 'mediaIds',
  },
  {
    name: 'post: eleven media',
    ...posts((c) => ({ mediaIds: [...c.media, c.media[0]] })),
    status: 400,
    code: 'validation_failed',
    field: 'mediaIds',
  },
  {
    name: 'post: duplicate media',
    ...posts((c) => ({ mediaIds: [c.media[0], c.media[0]] })),
    status: 400,
    code: 'duplicate_media',
  },
  {
    name: 'post: media still uploading',
    ...posts((c) => ({ mediaIds: [c.uploading] })),
    status: 409,
    code: 'media_not_uploaded',
  },
  {
    name: 'post: unknown media',
    ...posts(() => ({ mediaIds: ['123456789'] })),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'post: malformed media id',
    ...posts(() => ({ mediaIds: ['abc'] })),
    status: 400,
    code: 'validation_failed',
    field: 'mediaIds.0',
  },
  {
    name: 'post: media id as a number',
    ...posts(() => ({ mediaIds: [123] })),
    status: 400,
    code: 'validation_failed',
    field: 'mediaIds.0',
  },
  {
    name: 'post: caption of 2,201 characters',
    ...posts((c) => ({ mediaIds: [c.media[0]], caption: long(2201) })),
    status: 400,
    code: 'validation_failed',
    field: 'caption',
  },
  {
    name: 'post: 31 hashtags',
    ...posts((c) => ({
      mediaIds: [c.media[0]],
      caption: Array.from({ length: 31 }, (_, i) => `#t${i}a`).join(' '),
    })),
    status: 400,
    code: 'validation_failed',
    field: 'caption',
  },
  {
    name: 'post: alt text of 1,501 characters',
    ...posts((c) => ({ mediaIds: [c.media[0]], altTexts: [long(1501)] })),
    status: 400,
    code: 'validation_failed',
    field: 'altTexts.0',
  },
  {
    name: 'post: more alt texts than photos',
    ...posts((c) => ({ mediaIds: [c.media[0]], altTexts: ['a', 'b'] })),
    status: 400,
    code: 'validation_failed',
    field: 'altTexts',
  },
  {
    name: 'post: location of 101 characters',
    ...posts((c) => ({ mediaIds: [c.media[0]], location: long(101) })),
    status: 400,
    code: 'validation_failed',
    field: 'location',
  },
  {
    name: 'post: unknown field',
    ...posts((c) => ({ mediaIds: [c.media[0]], likes: 1000 })),
    status: 400,
    code: 'validation_failed',
    field: 'likes',
  },
  {
    name: 'post: without a token',
    method: 'POST',
    url: '/api/v1/posts',
    body: { mediaIds: ['1'] },
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'get post: malformed id',
    method: 'GET',
    url: '/api/v1/posts/12ab',
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'get post: unknown id',
    method: 'GET',
    url: '/api/v1/posts/123456789',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'get post: id beyond 64 bits',
    method: 'GET',
    url: '/api/v1/posts/99999999999999999999',
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'edit: empty body',
    method: 'PATCH',
    url: (c) => `/api/v1/posts/${c.myPost}`,
    body: {},
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'body',
  },
  {
    name: 'edit: caption too long',
    method: 'PATCH',
    url: (c) => `/api/v1/posts/${c.myPost}`,
    body: { caption: long(2201) },
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'caption',
  },
  {
    name: 'edit: caption as a number',
    method: 'PATCH',
    url: (c) => `/api/v1/posts/${c.myPost}`,
    body: { caption: 5 },
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'caption',
  },
  {
    name: 'edit: media cannot change',
    method: 'PATCH',
    url: (c) => `/api/v1/posts/${c.myPost}`,
    body: { mediaIds: [] },
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'mediaIds',
  },
  {
    name: 'edit: unknown post',
    method: 'PATCH',
    url: '/api/v1/posts/123456789',
    body: { caption: 'x' },
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'delete: unknown post',
    method: 'DELETE',
    url: '/api/v1/posts/123456789',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'delete: without a token',
    method: 'DELETE',
    url: (c) => `/api/v1/posts/${c.myPost}`,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'user posts: limit 0',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?limit=0`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'user posts: limit 101',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?limit=101`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'user posts: limit not a number',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?limit=ten`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'user posts: malformed cursor',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?cursor=%%%`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'user posts: forged cursor',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?cursor=${Buffer.from('v1:abc').toString('base64url')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'user posts: unknown query field',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/posts?sort=old`,
    status: 400,
    code: 'validation_failed',
    field: 'sort',
  },
  { name: 'user: unknown id', method: 'GET', url: '/api/v1/users/123456789', status: 404, code: 'not_found' },
  {
    name: 'user: malformed id',
    method: 'GET',
    url: '/api/v1/users/me',
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'lookup: missing username',
    method: 'GET',
    url: '/api/v1/users/lookup',
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'lookup: invalid username',
    method: 'GET',
    url: '/api/v1/users/lookup?username=no%20spaces',
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'lookup: 31 characters',
    method: 'GET',
    url: `/api/v1/users/lookup?username=${long(31)}`,
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'follow: yourself',
    method: 'POST',
    url: (c) => `/api/v1/users/${c.me.user.id}/follow`,
    auth: true,
    status: 400,
    code: 'cannot_follow_self',
  },
  {
    name: 'follow: unknown user',
    method: 'POST',
    url: '/api/v1/users/123456789/follow',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'follow: without a token',
    method: 'POST',
    url: (c) => `/api/v1/users/${c.other.user.id}/follow`,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'unfollow: unknown user',
    method: 'DELETE',
    url: '/api/v1/users/123456789/follow',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'followers: unknown user',
    method: 'GET',
    url: '/api/v1/users/123456789/followers',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'following: bad limit',
    method: 'GET',
    url: (c) => `/api/v1/users/${c.me.user.id}/following?limit=-5`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'feed: without a token',
    method: 'GET',
    url: '/api/v1/feed',
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'feed: limit 0',
    method: 'GET',
    url: '/api/v1/feed?limit=0',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'feed: limit 101',
    method: 'GET',
    url: '/api/v1/feed?limit=101',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'feed: limit not a number',
    method: 'GET',
    url: '/api/v1/feed?limit=many',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'feed: malformed cursor',
    method: 'GET',
    url: '/api/v1/feed?cursor=%%%',
    auth: true,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'feed: cursor that is not an id',
    method: 'GET',
    url: `/api/v1/feed?cursor=${Buffer.from('v1:99999999999999999999').toString('base64url')}`,
    auth: true,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'feed: unknown parameter',
    method: 'GET',
    url: '/api/v1/feed?sort=oldest',
    auth: true,
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'requests: without a token',
    method: 'GET',
    url: '/api/v1/me/follow-requests',
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'blocks: without a token',
    method: 'GET',
    url: '/api/v1/me/blocks',
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'blocks: limit 0',
    method: 'GET',
    url: '/api/v1/me/blocks?limit=0',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'blocks: a forged cursor',
    method: 'GET',
    url: '/api/v1/me/blocks?cursor=bm90LWEtY3Vyc29y',
    auth: true,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'approve: no such request',
    method: 'POST',
    url: (c) => `/api/v1/me/follow-requests/${c.other.user.id}/approve`,
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'reject: no such request',
    method: 'POST',
    url: (c) => `/api/v1/me/follow-requests/${c.other.user.id}/reject`,
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'approve: malformed id',
    method: 'POST',
    url: '/api/v1/me/follow-requests/x/approve',
    auth: true,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'block: yourself',
    method: 'POST',
    url: (c) => `/api/v1/users/${c.me.user.id}/block`,
    auth: true,
    status: 400,
    code: 'cannot_block_self',
  },
  {
    name: 'block: unknown user',
    method: 'POST',
    url: '/api/v1/users/123456789/block',
    auth: true,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'mute: yourself',
    method: 'POST',
    url: (c) => `/api/v1/users/${c.me.user.id}/mute`,
    auth: true,
    status: 400,
    code: 'cannot_mute_self',
  },
  {
    name: 'mute: without a token',
    method: 'POST',
    url: (c) => `/api/v1/users/${c.other.user.id}/mute`,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'unmute: unknown user',
    method: 'DELETE',
    url: '/api/v1/users/123456789/mute',
    auth: true,
    status: 404,
    code: 'not_found',
  },
];

describe('posts and graph routes reject bad input with the API 4xx (embedded)', () => {
  let t: TestApp;
  let ctx: Ctx;
  beforeAll(async () => {
    t = await startTestApp('embedded');
    const me = await registerUser(t.app);
    const other = await registerUser(t.app);
    const media = await Promise.all(Array.from({ length: 10 }, () => readyMedia(t, me.user.id)));
    const slot = await call(t.app, 'POST', '/api/v1/media/uploads', {
      token: me.accessToken,
      body: { contentType: 'image/jpeg', size: 100 },
    });
    ctx = {
      me,
      other,
      media,
      myPost: (await createPost(t, me)).id,
      uploading: slot.body.media.id,
    };
  });
  afterAll(() => t?.close());

  it(`has at least 30 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$name → $status $code', async (c) => {
    const url = typeof c.url === 'function' ? c.url(ctx) : c.url;
    const body = typeof c.body === 'function' ? (c.body as (x: Ctx) => unknown)(ctx) : c.body;
    const reply = await call(t.app, c.method, url, {
      ...(c.auth ? { token: ctx.me.accessToken } : {}),
      ...(body !== undefined ? { body } : {}),
    });
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
      status: c.status,
      code: c.code,
    });
    if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
  });

  it('no 500 was answered', async () => {
    const values = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
    expect(values.filter((v) => v.labels.status_code === '500')).toEqual([]);
  });
});
