/**
 * Every likes, comments and saves route, thrown bad input, on both shapes; none may yield a 500.
 * Each case runs as a fresh user (so budgets never leak between cases) unless it says `as`.
 * The app allows 1 like and 1 comment a minute, so the 429 cases are exact without timing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/client.js';
import { insertUser, insertUsers, type FastUser } from '../support/fast-users.js';
import { createPostId } from '../support/feed.js';

interface Ctx {
  owner: FastUser;
  other: FastUser;
  /** A public post of `owner`, with `othersComment` on it. */
  post: string;
  othersComment: string;
  privatePost: string;
  privateComment: string;
  deletedPost: string;
  /** `owner`'s post still waiting for a photo. */
  processingPost: string;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string | ((c: Ctx) => string);
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Who calls: a fresh user (default), nobody, or the context's owner. */
  as?: 'anonymous' | 'owner';
  /** Runs first, as the same caller. */
  prepare?: (t: TestApp, c: Ctx, me: FastUser) => Promise<void>;
  status: number;
  code: string | undefined;
  field?: string;
}

const BEYOND_64_BITS = '9223372036854775808';
const UNKNOWN = '123456789';
const long = (n: number) => 'x'.repeat(n);
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
const as = (t: TestApp, me: FastUser | undefined, method: Case['method'], url: string, body?: unknown) =>
  call(t.app, method, url, { ...(me ? { token: me.token } : {}), ...(body ? { body } : {}) });

const like = (url: (c: Ctx) => string, rest: Omit<Case, 'method' | 'url' | 'name'> & { name: string }) => ({
  method: 'POST' as const,
  url,
  ...rest,
});
const comment = (body: unknown, rest: Omit<Case, 'method' | 'url' | 'body'>): Case => ({
  method: 'POST',
  url: (c) => `/api/v1/posts/${c.post}/comments`,
  body,
  ...rest,
});

const listCases = (name: string, url: (c: Ctx) => string, auth: boolean): Case[] => [
  {
    name: `${name}: limit 0`,
    method: 'GET',
    url: (c) => `${url(c)}?limit=0`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: `${name}: limit 101`,
    method: 'GET',
    url: (c) => `${url(c)}?limit=101`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: `${name}: limit not a number`,
    method: 'GET',
    url: (c) => `${url(c)}?limit=many`,
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: `${name}: malformed cursor`,
    method: 'GET',
    url: (c) => `${url(c)}?cursor=%%%`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: `${name}: cursor that is not an id`,
    method: 'GET',
    url: (c) => `${url(c)}?cursor=${cursorOf(`v1:${BEYOND_64_BITS}`)}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: `${name}: cursor of another format`,
    method: 'GET',
    url: (c) => `${url(c)}?cursor=${cursorOf('v2:123')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: `${name}: unknown parameter`,
    method: 'GET',
    url: (c) => `${url(c)}?sort=oldest`,
    status: 400,
    code: 'validation_failed',
  },
  ...(auth
    ? [
        {
          name: `${name}: without a token`,
          method: 'GET' as const,
          url,
          as: 'anonymous' as const,
          status: 401,
          code: 'unauthenticated',
        },
      ]
    : []),
];

/** The bad ids, unknown, deleted and invisible posts of a route on /posts/{id}/... */
const postRouteCases = (name: string, method: Case['method'], suffix: string, body?: unknown): Case[] => [
  {
    name: `${name}: malformed id`,
    method,
    url: `/api/v1/posts/12ab${suffix}`,
    body,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: `${name}: id beyond 64 bits`,
    method,
    url: `/api/v1/posts/${BEYOND_64_BITS}${suffix}`,
    body,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: `${name}: negative id`,
    method,
    url: `/api/v1/posts/-1${suffix}`,
    body,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: `${name}: unknown post`,
    method,
    url: `/api/v1/posts/${UNKNOWN}${suffix}`,
    body,
    status: 404,
    code: 'not_found',
  },
  {
    name: `${name}: deleted post`,
    method,
    url: (c) => `/api/v1/posts/${c.deletedPost}${suffix}`,
    body,
    status: 404,
    code: 'not_found',
  },
  {
    name: `${name}: private account's post`,
    method,
    url: (c) => `/api/v1/posts/${c.privatePost}${suffix}`,
    body,
    status: 404,
    code: 'not_found',
  },
  {
    name: `${name}: someone else's processing post`,
    method,
    url: (c) => `/api/v1/posts/${c.processingPost}${suffix}`,
    body,
    status: 404,
    code: 'not_found',
  },
];

const cases: Case[] = [
  ...postRouteCases('like', 'POST', '/like'),
  like((c) => `/api/v1/posts/${c.post}/like`, {
    name: 'like: without a token',
    as: 'anonymous',
    status: 401,
    code: 'unauthenticated',
  }),
  like((c) => `/api/v1/posts/${c.processingPost}/like`, {
    name: 'like: my own post, still processing',
    as: 'owner',
    status: 404,
    code: 'not_found',
  }),
  like((c) => `/api/v1/posts/${c.post}/like`, {
    name: 'like: the author blocks me',
    prepare: (t, c, me) => as(t, c.owner, 'POST', `/api/v1/users/${me.id}/block`).then(() => {}),
    status: 404,
    code: 'not_found',
  }),
  like((c) => `/api/v1/posts/${c.post}/like`, {
    name: 'like: I block the author',
    prepare: (t, c, me) => as(t, me, 'POST', `/api/v1/users/${c.owner.id}/block`).then(() => {}),
    status: 404,
    code: 'not_found',
  }),
  like((c) => `/api/v1/posts/${c.post}/like`, {
    name: 'like: a second like within the minute',
    prepare: (t, c, me) => as(t, me, 'POST', `/api/v1/posts/${c.post}/like`).then(() => {}),
    status: 429,
    code: 'rate_limited',
  }),
  {
    name: 'unlike: after a like, within the minute (they share a budget)',
    method: 'DELETE',
    url: (c) => `/api/v1/posts/${c.post}/like`,
    prepare: (t, c, me) => as(t, me, 'POST', `/api/v1/posts/${c.post}/like`).then(() => {}),
    status: 429,
    code: 'rate_limited',
  },
  ...postRouteCases('unlike', 'DELETE', '/like'),
  {
    name: 'unlike: without a token',
    method: 'DELETE',
    url: (c) => `/api/v1/posts/${c.post}/like`,
    as: 'anonymous',
    status: 401,
    code: 'unauthenticated',
  },

  ...postRouteCases('likers', 'GET', '/likes'),
  ...listCases('likers', (c) => `/api/v1/posts/${c.post}/likes`, true),

  ...postRouteCases('comment', 'POST', '/comments', { body: 'hi' }),
  comment(
    { body: '' },
    { name: 'comment: empty body', status: 400, code: 'validation_failed', field: 'body' },
  ),
  comment(
    { body: ' \n\t ' },
    { name: 'comment: whitespace only', status: 400, code: 'validation_failed', field: 'body' },
  ),
  comment(
    { body: long(2201) },
    { name: 'comment: 2,201 characters', status: 400, code: 'validation_failed', field: 'body' },
  ),
  comment(
    { body: `  ${long(2200)}  ` },
    { name: 'comment: 2,200 characters once trimmed (accepted)', status: 201, code: undefined },
  ),
  comment(
    { body: '🎉'.repeat(2200) },
    { name: 'comment: 2,200 emoji (code points, accepted)', status: 201, code: undefined },
  ),
  comment({}, { name: 'comment: no body field', status: 400, code: 'validation_failed', field: 'body' }),
  comment(
    { body: 42 },
    { name: 'comment: body is a number', status: 400, code: 'validation_failed', field: 'body' },
  ),
  comment(
    { body: 'hi', postId: '1' },
    { name: 'comment: unknown field', status: 400, code: 'validation_failed', field: 'postId' },
  ),
  comment(
    { body: Array.from({ length: 21 }, (_, i) => `@user${i}`).join(' ') },
    { name: 'comment: 21 mentions', status: 400, code: 'validation_failed', field: 'body' },
  ),
  {
    name: 'comment: text/plain body',
    method: 'POST',
    url: (c) => `/api/v1/posts/${c.post}/comments`,
    raw: 'hi',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'comment: truncated JSON',
    method: 'POST',
    url: (c) => `/api/v1/posts/${c.post}/comments`,
    raw: '{"body": ',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  comment(
    { body: 'hi' },
    { name: 'comment: without a token', as: 'anonymous', status: 401, code: 'unauthenticated' },
  ),
  comment(
    { body: 'again' },
    {
      name: 'comment: a second comment within the minute',
      prepare: (t, c, me) =>
        as(t, me, 'POST', `/api/v1/posts/${c.post}/comments`, { body: 'first' }).then(() => {}),
      status: 429,
      code: 'rate_limited',
    },
  ),

  ...postRouteCases('comments', 'GET', '/comments'),
  ...listCases('comments', (c) => `/api/v1/posts/${c.post}/comments`, false),
  {
    name: "comments: a private account's post, anonymously",
    method: 'GET',
    url: (c) => `/api/v1/posts/${c.privatePost}/comments`,
    as: 'anonymous',
    status: 404,
    code: 'not_found',
  },

  {
    name: 'delete comment: malformed id',
    method: 'DELETE',
    url: '/api/v1/comments/abc',
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'delete comment: id beyond 64 bits',
    method: 'DELETE',
    url: `/api/v1/comments/${BEYOND_64_BITS}`,
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    name: 'delete comment: unknown comment',
    method: 'DELETE',
    url: `/api/v1/comments/${UNKNOWN}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: "delete comment: someone else's",
    method: 'DELETE',
    url: (c) => `/api/v1/comments/${c.othersComment}`,
    status: 403,
    code: 'not_allowed',
  },
  {
    name: 'delete comment: on a post I may not see',
    method: 'DELETE',
    url: (c) => `/api/v1/comments/${c.privateComment}`,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'delete comment: its author blocks me',
    method: 'DELETE',
    url: (c) => `/api/v1/comments/${c.othersComment}`,
    prepare: (t, c, me) => as(t, c.other, 'POST', `/api/v1/users/${me.id}/block`).then(() => {}),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'delete comment: without a token',
    method: 'DELETE',
    url: (c) => `/api/v1/comments/${c.othersComment}`,
    as: 'anonymous',
    status: 401,
    code: 'unauthenticated',
  },

  ...postRouteCases('save', 'POST', '/save'),
  {
    name: 'save: without a token',
    method: 'POST',
    url: (c) => `/api/v1/posts/${c.post}/save`,
    as: 'anonymous',
    status: 401,
    code: 'unauthenticated',
  },
  ...postRouteCases('unsave', 'DELETE', '/save'),
  {
    name: 'unsave: without a token',
    method: 'DELETE',
    url: (c) => `/api/v1/posts/${c.post}/save`,
    as: 'anonymous',
    status: 401,
    code: 'unauthenticated',
  },

  ...listCases('saved', () => '/api/v1/me/saved', true),
];

for (const shape of await availableShapes()) {
  describe(`engagement routes reject bad input with the API 4xx (${shape})`, { timeout: 120_000 }, () => {
    let t: TestApp;
    let ctx: Ctx;
    beforeAll(async () => {
      t = await startTestApp(shape, { LIKES_PER_MINUTE: '1', COMMENTS_PER_MINUTE: '1' });
      const [owner, other] = await insertUsers(t, [{}, {}]);
      const privateOwner = await insertUser(t, { isPrivate: true });
      const post = await createPostId(t, owner!);
      const privatePost = await createPostId(t, privateOwner);
      const deletedPost = await createPostId(t, owner!);
      await as(t, owner, 'DELETE', `/api/v1/posts/${deletedPost}`);
      const say = async (user: FastUser, postId: string) =>
        (await as(t, user, 'POST', `/api/v1/posts/${postId}/comments`, { body: 'hello' })).body.id as string;
      const { rows } = await sql<{ id: string }>`
        INSERT INTO media (id, owner_id, status, content_type, size_bytes)
        VALUES (next_id(shard_of(${owner!.id}::bigint)), ${owner!.id}, 'processing', 'image/jpeg', 1000)
        RETURNING id`.execute(t.infra.store.db);
      const processing = await as(t, owner, 'POST', '/api/v1/posts', { mediaIds: [rows[0]!.id] });
      expect(processing.body.status).toBe('processing');
      ctx = {
        owner: owner!,
        other: other!,
        post,
        othersComment: await say(other!, post),
        privatePost,
        privateComment: await say(privateOwner, privatePost),
        deletedPost,
        processingPost: processing.body.id,
      };
    });
    afterAll(() => t?.close());

    it(`has at least 60 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(60));

    it.each(cases)('$name → $status $code', async (c) => {
      const me = c.as === 'owner' ? ctx.owner : c.as === 'anonymous' ? undefined : await insertUser(t);
      if (c.prepare) await c.prepare(t, ctx, me!);
      const url = typeof c.url === 'function' ? c.url(ctx) : c.url;
      const reply = await call(t.app, c.method, url, {
        ...(me ? { token: me.token } : {}),
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.headers ? { headers: c.headers } : {}),
      });
      expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
        status: c.status,
        code: c.code,
      });
      if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
      if (c.status === 429) expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('no 500 was answered', async () => {
      const values = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
      expect(values.filter((v) => v.labels.status_code === '500')).toEqual([]);
    });
  });
}
