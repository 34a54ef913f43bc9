import { randomBytes } from 'node:crypto';
import type { AuthResult } from '@glimpse/contract';
import type { App } from '../../src/http/types.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A fresh address per test client, so per-IP rate limits of one test never touch another. */
export const randomIp = () => `10.${[1, 2, 3].map(() => randomBytes(1)[0]! % 250).join('.')}`;

export async function call<T = any>(
  app: App,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  options: {
    body?: unknown;
    token?: string;
    ip?: string;
    headers?: Record<string, string>;
    raw?: string;
  } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await app.inject({
    method,
    url,
    headers,
    remoteAddress: options.ip ?? '127.0.0.1',
    ...(payload !== undefined ? { payload } : {}),
  });
  let body: unknown = response.body;
  if (String(response.headers['content-type'] ?? '').includes('json') && response.body)
    body = response.json();
  return {
    status: response.statusCode,
    body: body as T,
    headers: response.headers as Record<string, string | string[] | undefined>,
  };
}

export interface TestUser extends AuthResult {
  password: string;
  ip: string;
}

let counter = 0;
export async function registerUser(
  app: App,
  overrides: Partial<{ username: string; email: string; password: string }> = {},
): Promise<TestUser> {
  const n = `${process.pid}${++counter}${randomBytes(2).toString('hex')}`;
  const password = overrides.password ?? `pw-${randomBytes(6).toString('hex')}`;
  const ip = randomIp();
  const reply = await call<AuthResult>(app, 'POST', '/api/v1/auth/register', {
    ip,
    body: {
      username: overrides.username ?? `user_${n}`,
      email: overrides.email ?? `u${n}@example.com`,
      password,
    },
  });
  if (reply.status !== 201) throw new Error(`register failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return { ...reply.body, password, ip };
}
