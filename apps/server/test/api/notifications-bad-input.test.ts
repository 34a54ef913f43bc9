import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '../../src/accounts/tokens.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { call, registerUser, type TestUser } from '../support/client.js';

interface Ctx {
  me: TestUser;
  expired: string;
}

interface Case {
  name: string;
  method: 'GET' | 'POST';
  url: string | ((c: Ctx) => string);
  body?: unknown;
  raw?: string;
  headers?: Record<string, string> | ((c: Ctx) => Record<string, string>);
  /** Sends the user's token as a Bearer header (default: yes). */
  auth?: boolean;
  status: number;
  code: string;
  field?: string;
}

const cursor = (text: string) => Buffer.from(text).toString('base64url');
const read = (body: unknown, extra: Partial<Case> = {}): Omit<Case, 'name' | 'status' | 'code'> => ({
  method: 'POST',
  url: '/api/v1/notifications/read',
  body,
  ...extra,
});
const STREAM = '/api/v1/notifications/stream';

/** Every input of the three notification routes, thrown bad values; none may yield a 500. */
const cases: Case[] = [
  {
    name: 'list: no token',
    method: 'GET',
    url: '/api/v1/notifications',
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'list: malformed Authorization',
    method: 'GET',
    url: '/api/v1/notifications',
    auth: false,
    headers: { authorization: 'Token abc' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'list: expired token',
    method: 'GET',
    url: '/api/v1/notifications',
    auth: false,
    headers: (c) => ({ authorization: `Bearer ${c.expired}` }),
    status: 401,
    code: 'token_expired',
  },
  {
    name: 'list: garbage cursor',
    method: 'GET',
    url: '/api/v1/notifications?cursor=%%%',
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'list: cursor without an id',
    method: 'GET',
    url: `/api/v1/notifications?cursor=${cursor('v1:abc')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'list: cursor of another version',
    method: 'GET',
    url: `/api/v1/notifications?cursor=${cursor('v9:123')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'list: cursor with an id past bigint',
    method: 'GET',
    url: `/api/v1/notifications?cursor=${cursor('v1:99999999999999999999')}`,
    status: 400,
    code: 'invalid_cursor',
  },
  {
    name: 'list: over-long cursor',
    method: 'GET',
    url: `/api/v1/notifications?cursor=${'a'.repeat(201)}`,
    status: 400,
    code: 'validation_failed',
    field: 'cursor',
  },
  {
    name: 'list: limit 0',
    method: 'GET',
    url: '/api/v1/notifications?limit=0',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'list: limit 101',
    method: 'GET',
    url: '/api/v1/notifications?limit=101',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'list: limit not a number',
    method: 'GET',
    url: '/api/v1/notifications?limit=ten',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'list: limit fractional',
    method: 'GET',
    url: '/api/v1/notifications?limit=2.5',
    status: 400,
    code: 'validation_failed',
    field: 'limit',
  },
  {
    name: 'list: unknown parameter',
    method: 'GET',
    url: '/api/v1/notifications?unread=true',
    status: 400,
    code: 'validation_failed',
  },
  { name: 'read: no token', ...read({ upTo: '1' }, { auth: false }), status: 401, code: 'unauthenticated' },
  { name: 'read: no body', ...read(undefined), status: 400, code: 'validation_failed' },
  { name: 'read: empty object', ...read({}), status: 400, code: 'validation_failed', field: 'upTo' },
  {
    name: 'read: upTo not an id',
    ...read({ upTo: 'latest' }),
    status: 400,
    code: 'validation_failed',
    field: 'upTo',
  },
  { name: 'read: upTo zero', ...read({ upTo: '0' }), status: 400, code: 'validation_failed', field: 'upTo' },
  {
    name: 'read: upTo negative',
    ...read({ upTo: '-5' }),
    status: 400,
    code: 'validation_failed',
    field: 'upTo',
  },
  {
    name: 'read: upTo past bigint',
    ...read({ upTo: '9223372036854775808' }),
    status: 400,
    code: 'validation_failed',
    field: 'upTo',
  },
  {
    name: 'read: upTo a number',
    ...read({ upTo: 123 }),
    status: 400,
    code: 'validation_failed',
    field: 'upTo',
  },
  { name: 'read: upTo null', ...read({ upTo: null }), status: 400, code: 'validation_failed', field: 'upTo' },
  {
    name: 'read: upTo a list',
    ...read({ upTo: ['1'] }),
    status: 400,
    code: 'validation_failed',
    field: 'upTo',
  },
  { name: 'read: unknown field', ...read({ upTo: '1', all: true }), status: 400, code: 'validation_failed' },
  { name: 'read: body is an array', ...read([{ upTo: '1' }]), status: 400, code: 'validation_failed' },
  {
    name: 'read: malformed JSON',
    ...read(undefined, { raw: '{"upTo": ' }),
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'read: text/plain',
    ...read(undefined, { raw: 'upTo=1' }),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'read: body over the limit',
    ...read(undefined, { raw: JSON.stringify({ upTo: '1', pad: 'x'.repeat(300_000) }) }),
    headers: { 'content-type': 'application/json' },
    status: 413,
    code: 'payload_too_large',
  },
  { name: 'stream: no token', method: 'GET', url: STREAM, auth: false, status: 401, code: 'unauthenticated' },
  {
    name: 'stream: malformed Authorization',
    method: 'GET',
    url: STREAM,
    auth: false,
    headers: { authorization: 'Bearer not-a-jwt' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'stream: forged query token',
    method: 'GET',
    url: (c) => `${STREAM}?access_token=${c.me.accessToken.slice(0, -4)}AAAA`,
    auth: false,
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'stream: query token not a JWT',
    method: 'GET',
    url: `${STREAM}?access_token=hello`,
    auth: false,
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'stream: empty query token',
    method: 'GET',
    url: `${STREAM}?access_token=`,
    auth: false,
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'stream: two query tokens',
    method: 'GET',
    url: (c) => `${STREAM}?access_token=${c.me.accessToken}&access_token=${c.me.accessToken}`,
    auth: false,
    status: 401,
    code: 'unauthenticated',
  },
  {
    name: 'stream: expired query token',
    method: 'GET',
    url: (c) => `${STREAM}?access_token=${c.expired}`,
    auth: false,
    status: 401,
    code: 'token_expired',
  },
  {
    name: 'stream: over-long query token',
    method: 'GET',
    url: `${STREAM}?access_token=${'a'.repeat(5000)}.b.c`,
    auth: false,
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'stream: unknown parameter',
    method: 'GET',
    url: `${STREAM}?since=1`,
    status: 400,
    code: 'validation_failed',
  },
];

describe('notifications: bad input', () => {
  let t: TestApp;
  let ctx: Ctx;
  beforeAll(async () => {
    t = await startTestApp('embedded');
    const me = await registerUser(t.app);
    const { id: sessionId } = await t.infra.store.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', me.user.id)
      .executeTakeFirstOrThrow();
    const expired = await new AccessTokens(t.infra.jwtSecret, () => Date.now() - 3_600_000).issue({
      userId: me.user.id,
      sessionId,
    });
    ctx = { me, expired };
  });
  afterAll(() => t?.close());

  it(`has at least 30 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$name → $status $code', async (c) => {
    const url = typeof c.url === 'function' ? c.url(ctx) : c.url;
    const headers = typeof c.headers === 'function' ? c.headers(ctx) : c.headers;
    const reply = await call(t.app, c.method, url, {
      ...(c.auth === false ? {} : { token: ctx.me.accessToken }),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.raw !== undefined ? { raw: c.raw } : {}),
      ...(headers ? { headers } : {}),
    });
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
      status: c.status,
      code: c.code,
    });
    if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
  });

  it('no 500 was answered, and no stream was left open', async () => {
    const values = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
    expect(values.filter((v) => v.labels.status_code === '500')).toEqual([]);
    expect(t.services.notifications.streams.size).toBe(0);
  });
});

describe('the stream token and the logs', () => {
  it('logs requests by path only, so a query-string token never reaches a log line', () => {
    const log = createLogger({ logLevel: 'info', logFormat: 'json' });
    const serializers = (log as unknown as Record<symbol, Record<string, (v: unknown) => any>>)[
      pino.symbols.serializersSym
    ]!;
    expect(
      serializers.req!({ method: 'GET', url: '/api/v1/notifications/stream?access_token=a.b.c', id: '1' }),
    ).toEqual({ method: 'GET', url: '/api/v1/notifications/stream', id: '1' });
  });
});
