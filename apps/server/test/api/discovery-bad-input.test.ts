import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { call } from '../support/client.js';
import { insertUser, type FastUser } from '../support/fast-users.js';

interface Case {
  name: string;
  url: string;
  auth?: boolean;
  headers?: Record<string, string>;
  status: number;
  code: string;
  field?: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const search = (query: string) => `/api/v1/search?${query}`;

/** Every parameter of the discovery routes, thrown bad input; none may yield a 500. */
const cases: Case[] = [
  { name: 'search: no q', url: search('type=users'), status: 400, code: 'validation_failed', field: 'q' },
  {
    name: 'search: empty q',
    url: search('q=&type=users'),
    status: 400,
    code: 'validation_failed',
    field: 'q',
  },
  {
    name: 'search: q of spaces only',
    url: search('q=%20%20%20&type=posts'),
    status: 400,
    code: 'validation_failed',
    field: 'q',
  },
  {
    name: 'search: q of 1,000 characters',
    url: search(`q=${'a'.repeat(1000)}&type=users`),
    status: 400,
    code: 'validation_failed',
    field: 'q',
  },
  {
    name: 'search: q of 101 characters',
    url: search(`q=${'é'.repeat(101)}&type=hashtags`),
    status: 400,
    code: 'validation_failed',
    field: 'q',
  },
  {
    name: 'search: q given twice',
    url: search('q=a&q=b&type=users'),
    status: 400,
    code: 'validation_failed',
    field: 'q',
  },
  { name: 'search: no type', url: search('q=anna'), status: 400, code: 'validation_failed', field: 'type' },
  {
    name: 'search: unknown type',
    url: search('q=anna&type=places'),
    status: 400,
    code: 'validation_failed',
    field: 'type',
  },
  {
    name: 'search: type in capitals',
    url: search('q=anna&type=USERS'),
    status: 400,
    code: 'validation_failed',
    field: 'type',
  },
  {
    name: 'search: limit 0',
    url: search('q=anna&type=users&limit=0'),
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'search: limit 101',
    url: search('q=anna&type=users&limit=101'),
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'search: limit not a number',
    url: search('q=anna&type=posts&limit=lots'),
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'search: unknown parameter',
    url: search('q=anna&type=users&sort=new'),
    status: 400,
    code: 'validation_failed',
    field: 'sort',
  },
  {
    name: 'search users: malformed cursor',
    url: search('q=anna&type=users&cursor=%25%25%25'),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search users: a hashtag cursor',
    url: search(`q=anna&type=users&cursor=${b64('h1:1:5:sun')}`),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search users: cursor with a part missing',
    url: search(`q=anna&type=users&cursor=${b64('u1:1:10:5')}`),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search users: cursor with a huge follower count',
    url: search(`q=anna&type=users&cursor=${b64('u1:1:10:99999999999:123')}`),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search hashtags: cursor with a bad tag',
    url: search(`q=sun&type=hashtags&cursor=${b64("h1:1:5:sun'--")}`),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search hashtags: garbage cursor',
    url: search('q=sun&type=hashtags&cursor=bm9wZQ'),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search posts: cursor that is not an id',
    url: search(`q=sun&type=posts&cursor=${b64('v1:99999999999999999999')}`),
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'search posts: over-long cursor',
    url: search(`q=sun&type=posts&cursor=${'A'.repeat(201)}`),
    status: 400,
    code: 'validation_failed',
    field: 'cursor',
  },
  {
    name: 'search: malformed token on a public route',
    url: search('q=anna&type=users'),
    headers: { authorization: 'Bearer nope' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'hashtag posts: name with a hyphen',
    url: '/api/v1/hashtags/sun-set/posts',
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: name with the # (encoded)',
    url: '/api/v1/hashtags/%23sunset/posts',
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: name of digits only',
    url: '/api/v1/hashtags/2024/posts',
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: name with a space',
    url: '/api/v1/hashtags/sun%20set/posts',
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: name of 101 characters',
    url: `/api/v1/hashtags/${'a'.repeat(101)}/posts`,
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: SQL in the name',
    url: `/api/v1/hashtags/${encodeURIComponent("x' OR '1'='1")}/posts`,
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    name: 'hashtag posts: limit 101',
    url: '/api/v1/hashtags/sunset/posts?limit=101',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'hashtag posts: malformed cursor',
    url: '/api/v1/hashtags/sunset/posts?cursor=%25%25%25',
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'hashtag posts: an explore cursor',
    url: `/api/v1/hashtags/sunset/posts?cursor=${b64('e1:1:20')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'hashtag posts: unknown parameter',
    url: '/api/v1/hashtags/sunset/posts?order=oldest',
    status: 400,
    code: 'validation_failed',
    field: 'order',
  },
  {
    name: 'explore: limit 0',
    url: '/api/v1/explore?limit=0',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'explore: limit -1',
    url: '/api/v1/explore?limit=-1',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'explore: malformed cursor',
    url: '/api/v1/explore?cursor=%25%25%25',
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'explore: a post-id cursor',
    url: `/api/v1/explore?cursor=${b64('v1:123456789')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'explore: cursor with a negative rank',
    url: `/api/v1/explore?cursor=${b64('e1:1:-5')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'explore: cursor with a generation that is not an id',
    url: `/api/v1/explore?cursor=${b64('e1:0:5')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'explore: unknown parameter',
    url: '/api/v1/explore?since=yesterday',
    status: 400,
    code: 'validation_failed',
    field: 'since',
  },
  {
    name: 'trending: limit 0',
    url: '/api/v1/hashtags/trending?limit=0',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'trending: limit 51',
    url: '/api/v1/hashtags/trending?limit=51',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'trending: a cursor (it has no pages)',
    url: '/api/v1/hashtags/trending?cursor=abc',
    status: 400,
    code: 'validation_failed',
    field: 'cursor',
  },
  {
    name: 'trending: with an expired-looking token',
    url: '/api/v1/hashtags/trending',
    headers: { authorization: 'Bearer a.b.c' },
    status: 401,
    code: 'invalid_token',
  },
];

describe('discovery routes reject bad input with the API 4xx (embedded)', () => {
  let t: TestApp;
  let me: FastUser;
  beforeAll(async () => {
    t = await startTestApp('embedded');
    me = await insertUser(t);
  });
  afterAll(() => t?.close());

  it(`has at least 40 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('$name → $status $code', async (c) => {
    const reply = await call(t.app, 'GET', c.url, {
      ...(c.auth ? { token: me.token } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
      status: c.status,
      code: c.code,
    });
    if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
  });

  it('accepts the boundaries: q of 100 characters, a leading # or @ alone, limits 1 and 100, an unused tag', async () => {
    for (const url of [
      search(`q=${'é'.repeat(100)}&type=users`),
      search('q=%23&type=hashtags'),
      search('q=%40&type=users'),
      search('q=%25&type=users&limit=1'),
      search('q=__&type=hashtags&limit=100'),
      search("q=it's&type=posts"),
      '/api/v1/hashtags/caf%C3%A9/posts?limit=1',
      '/api/v1/hashtags/never_used/posts',
      '/api/v1/explore?limit=100',
      '/api/v1/hashtags/trending?limit=50',
    ]) {
      const reply = await call(t.app, 'GET', url, { token: me.token });
      expect(reply.status, `${url}: ${JSON.stringify(reply.body)}`).toBe(200);
    }
  });

  it('no 500 was answered', async () => {
    const values = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
    expect(values.filter((v) => v.labels.status_code === '500')).toEqual([]);
  });
});
