import type { AuthResult, ErrorBody, Me, TokenPair, UpdateMeBody } from '@glimpse/contract';

/**
 * The typed client of API.md. Types come from @glimpse/contract, the schemas the server
 * validates with, so a renamed field fails the web build instead of a user's request.
 *
 * Tokens: the access token lives only in memory (15 minutes); the refresh token is kept in
 * localStorage so a session survives a reload. The strict CSP (scripts from this origin
 * only, no inline script) is what protects it from injected code.
 */
const REFRESH_KEY = 'glimpse.refreshToken';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;

function remember(pair: TokenPair | AuthResult): void {
  accessToken = pair.accessToken;
  localStorage.setItem(REFRESH_KEY, pair.refreshToken);
}

function forget(): void {
  accessToken = null;
  localStorage.removeItem(REFRESH_KEY);
}

async function send<T>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as T | ErrorBody | null;
  if (response.ok) return payload as T;
  const error = (payload as ErrorBody | null)?.error;
  if (response.status === 401 && retry && accessToken && (await refreshSession())) {
    return send<T>(method, path, body, false);
  }
  throw new ApiError(
    response.status,
    error?.code ?? 'unexpected',
    error?.message ??
      (response.status >= 500 ? 'The server is having trouble. Try again soon.' : 'That did not work.'),
    ((error?.details as { fields?: Record<string, string> } | undefined)?.fields ?? {}) as Record<
      string,
      string
    >,
  );
}

/** One refresh at a time: parallel 401s share it, so the rotating token is spent once. */
export function refreshSession(): Promise<boolean> {
  const refreshToken = localStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.resolve(false);
  refreshing ??= send<TokenPair>('POST', '/auth/refresh', { refreshToken }, false)
    .then((pair) => (remember(pair), true))
    .catch(() => (forget(), false))
    .finally(() => (refreshing = null));
  return refreshing;
}

export const api = {
  async register(username: string, email: string, password: string): Promise<Me> {
    const result = await send<AuthResult>('POST', '/auth/register', { username, email, password }, false);
    remember(result);
    return result.user;
  },
  async login(login: string, password: string): Promise<Me> {
    const result = await send<AuthResult>('POST', '/auth/login', { login, password }, false);
    remember(result);
    return result.user;
  },
  async logout(): Promise<void> {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    forget();
    if (refreshToken) await send('POST', '/auth/logout', { refreshToken }, false).catch(() => {});
  },
  /** The signed-in user after a reload, or null. */
  async resume(): Promise<Me | null> {
    if (!(await refreshSession())) return null;
    return send<Me>('GET', '/me');
  },
  updateMe: (patch: UpdateMeBody) => send<Me>('PATCH', '/me', patch),
  changePassword: (currentPassword: string, newPassword: string) =>
    send<void>('POST', '/me/password', { currentPassword, newPassword }),
};
