import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableShapes, startTestApp, type TestApp } from '../support/app.js';
import { call, randomIp, registerUser, type TestUser } from '../support/client.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Case {
  name: string;
  method: Method;
  url: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** 'user' sends the test user's access token; a string sends that literal Authorization header. */
  auth?: 'user' | { header: string };
  status: number;
  code: string;
  /** A field that details.fields must name. */
  field?: string;
}

const register = (body: unknown) => ({ method: 'POST' as const, url: '/api/v1/auth/register', body });
const login = (body: unknown) => ({ method: 'POST' as const, url: '/api/v1/auth/login', body });
const ok = { username: 'valid_name', email: 'valid@example.com', password: 'long enough pw' };
const noneToken = `${base64url.encode('{"alg":"none","typ":"at+jwt"}')}.${base64url.encode('{"sub":"1","sid":"1"}')}.`;

/** Every way we could think of to send the auth routes something wrong; none may yield a 500. */
const cases: Case[] = [
  {
    name: 'malformed JSON',
    method: 'POST',
    url: '/api/v1/auth/register',
    raw: '{"username": ',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'empty JSON body',
    method: 'POST',
    url: '/api/v1/auth/register',
    raw: '',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'no body at all',
    method: 'POST',
    url: '/api/v1/auth/register',
    status: 400,
    code: 'validation_failed',
    field: 'body',
  },
  {
    name: 'text/plain body',
    method: 'POST',
    url: '/api/v1/auth/register',
    raw: 'username=a',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form-encoded body',
    method: 'POST',
    url: '/api/v1/auth/login',
    raw: 'login=a&password=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'JSON array instead of object',
    ...register([ok]),
    status: 400,
    code: 'validation_failed',
    field: 'body',
  },
  {
    name: 'JSON null',
    method: 'POST',
    url: '/api/v1/auth/login',
    raw: 'null',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'validation_failed',
    field: 'body',
  },
  {
    name: 'prototype pollution',
    method: 'POST',
    url: '/api/v1/auth/register',
    raw: '{"__proto__":{"admin":true},"username":"a","email":"a@b.co","password":"xxxxxxxx"}',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'body over the size limit',
    ...register({ ...ok, padding: 'x'.repeat(300 * 1024) }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'missing username',
    ...register({ email: ok.email, password: ok.password }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username of 31 characters',
    ...register({ ...ok, username: 'a'.repeat(31) }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username with a space',
    ...register({ ...ok, username: 'has space' }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username with an emoji',
    ...register({ ...ok, username: 'smile🙂' }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username of only spaces',
    ...register({ ...ok, username: '    ' }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username as a number',
    ...register({ ...ok, username: 12345 }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'username null',
    ...register({ ...ok, username: null }),
    status: 400,
    code: 'validation_failed',
    field: 'username',
  },
  {
    name: 'email that is not an email',
    ...register({ ...ok, email: 'not-an-email' }),
    status: 400,
    code: 'validation_failed',
    field: 'email',
  },
  {
    name: 'email of 300 characters',
    ...register({ ...ok, email: `${'a'.repeat(290)}@example.com` }),
    status: 400,
    code: 'validation_failed',
    field: 'email',
  },
  {
    name: 'password of 7 characters',
    ...register({ ...ok, password: 'short12' }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'password of 129 characters',
    ...register({ ...ok, password: 'p'.repeat(129) }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'password as a number',
    ...register({ ...ok, password: 12345678 }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'password equal to the username',
    ...register({ ...ok, username: 'samesame', password: 'SameSame' }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'password of one repeated character',
    ...register({ ...ok, password: 'aaaaaaaaaa' }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'unknown field',
    ...register({ ...ok, isAdmin: true }),
    status: 400,
    code: 'validation_failed',
    field: 'isAdmin',
  },
  {
    name: 'login: missing password',
    ...login({ login: 'alice' }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'login: empty login',
    ...login({ login: '', password: 'whatever1' }),
    status: 400,
    code: 'validation_failed',
    field: 'login',
  },
  {
    name: 'login: 1,000-character login',
    ...login({ login: 'a'.repeat(1000), password: 'whatever1' }),
    status: 400,
    code: 'validation_failed',
    field: 'login',
  },
  {
    name: 'login: password of 129 characters',
    ...login({ login: 'alice', password: 'p'.repeat(129) }),
    status: 400,
    code: 'validation_failed',
    field: 'password',
  },
  {
    name: 'login: unknown field',
    ...login({ login: 'alice', password: 'whatever1', remember: true }),
    status: 400,
    code: 'validation_failed',
    field: 'remember',
  },
  {
    name: 'login: wrong password',
    ...login({ login: 'nobody_known', password: 'whatever1' }),
    status: 401,
    code: 'invalid_credentials',
  },
  {
    name: 'refresh: missing token',
    method: 'POST',
    url: '/api/v1/auth/refresh',
    body: {},
    status: 400,
    code: 'validation_failed',
    field: 'refreshToken',
  },
  {
    name: 'refresh: token as a number',
    method: 'POST',
    url: '/api/v1/auth/refresh',
    body: { refreshToken: 42 },
    status: 400,
    code: 'validation_failed',
    field: 'refreshToken',
  },
  {
    name: 'refresh: over-long token',
    method: 'POST',
    url: '/api/v1/auth/refresh',
    body: { refreshToken: 'x'.repeat(201) },
    status: 400,
    code: 'validation_failed',
    field: 'refreshToken',
  },
  {
    name: 'refresh: malformed token',
    method: 'POST',
    url: '/api/v1/auth/refresh',
    body: { refreshToken: 'abc' },
    status: 401,
    code: 'invalid_refresh_token',
  },
  {
    name: 'refresh: well-formed unknown token',
    method: 'POST',
    url: '/api/v1/auth/refresh',
    body: { refreshToken: 'A'.repeat(43) },
    status: 401,
    code: 'invalid_refresh_token',
  },
  {
    name: 'logout: missing token',
    method: 'POST',
    url: '/api/v1/auth/logout',
    body: {},
    status: 400,
    code: 'validation_failed',
    field: 'refreshToken',
  },
  { name: 'me: no token', method: 'GET', url: '/api/v1/me', status: 401, code: 'unauthenticated' },
  {
    name: 'me: garbage bearer token',
    method: 'GET',
    url: '/api/v1/me',
    auth: { header: 'Bearer garbage' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'me: Basic credentials',
    method: 'GET',
    url: '/api/v1/me',
    auth: { header: 'Basic dXNlcjpwYXNz' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'me: empty Bearer',
    method: 'GET',
    url: '/api/v1/me',
    auth: { header: 'Bearer ' },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'me: alg none token',
    method: 'GET',
    url: '/api/v1/me',
    auth: { header: `Bearer ${noneToken}` },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'patch me: empty object',
    method: 'PATCH',
    url: '/api/v1/me',
    body: {},
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'body',
  },
  {
    name: 'patch me: isPrivate as a string',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { isPrivate: 'yes' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'isPrivate',
  },
  {
    name: 'patch me: 65-character display name',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { displayName: 'd'.repeat(65) },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'displayName',
  },
  {
    name: 'patch me: control character in bio',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { bio: 'ring \u0007 bell' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'bio',
  },
  {
    name: 'patch me: 151-character bio',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { bio: 'b'.repeat(151) },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'bio',
  },
  {
    name: 'patch me: avatar id not a number',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { avatarMediaId: 'abc' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'avatarMediaId',
  },
  {
    name: 'patch me: avatar id beyond 64 bits',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { avatarMediaId: '99999999999999999999' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'avatarMediaId',
  },
  {
    name: 'patch me: avatar id as a JSON number',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { avatarMediaId: 12345 },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'avatarMediaId',
  },
  {
    name: 'patch me: unknown avatar id',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { avatarMediaId: '123456789' },
    auth: 'user',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'patch me: unknown field',
    method: 'PATCH',
    url: '/api/v1/me',
    body: { email: 'new@example.com' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'email',
  },
  {
    name: 'password: wrong current password',
    method: 'POST',
    url: '/api/v1/me/password',
    body: { currentPassword: 'not the one', newPassword: 'a fine new pass' },
    auth: 'user',
    status: 403,
    code: 'wrong_password',
  },
  {
    name: 'password: new one too short',
    method: 'POST',
    url: '/api/v1/me/password',
    body: { currentPassword: 'x', newPassword: 'short' },
    auth: 'user',
    status: 400,
    code: 'validation_failed',
    field: 'newPassword',
  },
  {
    name: 'password: without a token',
    method: 'POST',
    url: '/api/v1/me/password',
    body: { currentPassword: 'x', newPassword: 'a fine new pass' },
    status: 401,
    code: 'unauthenticated',
  },
  { name: 'unknown route', method: 'GET', url: '/api/v1/nope', status: 404, code: 'not_found' },
  { name: 'wrong method', method: 'DELETE', url: '/api/v1/auth/login', status: 404, code: 'not_found' },
];

for (const shape of await availableShapes()) {
  describe(`auth routes reject bad input with the API's 4xx (${shape})`, () => {
    let t: TestApp;
    let user: TestUser;
    beforeAll(async () => {
      t = await startTestApp(shape);
      user = await registerUser(t.app);
    });
    afterAll(() => t?.close());

    it(`has at least 30 cases (${cases.length})`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(30);
    });

    it.each(cases)('$name → $status $code', async (c) => {
      const headers: Record<string, string> = { ...c.headers };
      if (c.auth === 'user') headers.authorization = `Bearer ${user.accessToken}`;
      else if (c.auth) headers.authorization = c.auth.header;
      const reply = await call(t.app, c.method, c.url, {
        ip: randomIp(),
        headers,
        ...(c.raw !== undefined ? { raw: c.raw } : {}),
        ...(c.body !== undefined ? { body: c.body } : {}),
      });
      expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({
        status: c.status,
        code: c.code,
      });
      expect(typeof reply.body.error.message).toBe('string');
      if (c.field) expect(reply.body.error.details.fields).toHaveProperty([c.field]);
    });

    it('is still healthy, and the user untouched, after all of that', async () => {
      expect((await call(t.app, 'GET', '/healthz')).status).toBe(200);
      const me = await call(t.app, 'GET', '/api/v1/me', { token: user.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.displayName).toBe('');
      const errors = (await t.metrics.registry.getSingleMetric('glimpse_http_requests_total')!.get()).values;
      expect(errors.filter((v) => v.labels.status_code === '500')).toEqual([]);
    });
  });
}
