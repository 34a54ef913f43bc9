import type { AuthResult, ErrorBody, TokenPair } from '@glimpse/contract';

/**
 * The transport under the typed client: JSON over fetch, one shared token refresh, and errors
 * as ApiError with the server's human sentence.
 *
 * Where tokens live: the refresh token in localStorage, so a session survives a reload and a
 * browser restart; the access token (15 minutes) in sessionStorage, this tab only, gone when
 * the tab closes. Keeping the access token across a reload means a reload does not spend the
 * refresh token: a reload that cut off a refresh's answer would otherwise present the spent
 * token next time, which the server must treat as theft (reuse revokes the session). It adds
 * no exposure the refresh token does not already have. The refresh token rotates on every use,
 * so a stolen copy dies the moment either party uses it. The strict CSP (scripts from this
 * origin only, no inline script, no dangerouslySetInnerHTML anywhere) is what keeps injected
 * code from reading either. An httpOnly cookie would hide them from script altogether, but
 * API.md's contract is bearer tokens in JSON bodies; see docs/web.md.
 */
const REFRESH_KEY = 'glimpse.refreshToken';
const ACCESS_KEY = 'glimpse.accessToken';
export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    /** Seconds, from Retry-After on 429 and 503. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

/** Seconds left before a JWT's `exp`, or 0 when it cannot be read. */
function secondsLeft(jwt: string): number {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
    };
    return typeof payload.exp === 'number' ? payload.exp - Date.now() / 1000 : 0;
  } catch {
    return 0;
  }
}

/** The tab's access token from before a reload, when it still has a useful life left. */
function restoredAccessToken(): string | null {
  if (typeof sessionStorage === 'undefined') return null;
  const token = sessionStorage.getItem(ACCESS_KEY);
  return token && secondsLeft(token) > 30 ? token : null;
}

let accessToken: string | null = restoredAccessToken();
let refreshing: Promise<boolean> | null = null;
const sessionListeners = new Set<() => void>();

/** Called when the session ends on its own (refresh refused: revoked elsewhere, password changed). */
export function onSessionLost(listener: () => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

export function remember(pair: TokenPair | AuthResult): void {
  accessToken = pair.accessToken;
  sessionStorage.setItem(ACCESS_KEY, pair.accessToken);
  localStorage.setItem(REFRESH_KEY, pair.refreshToken);
}

export function forget(): void {
  accessToken = null;
  sessionStorage.removeItem(ACCESS_KEY);
  localStorage.removeItem(REFRESH_KEY);
}

export function currentAccessToken(): string | null {
  return accessToken;
}

export function storedRefreshToken(): string | null {
  return localStorage.getItem(REFRESH_KEY);
}

const NETWORK_MESSAGE = 'Could not reach Glimpse. Check your connection and try again.';

function fallbackMessage(status: number): string {
  if (status === 503) return 'Glimpse is busy or briefly unavailable. Try again in a moment.';
  if (status >= 500) return 'Something went wrong on our side. Try again soon.';
  if (status === 429) return 'You are doing that too often. Wait a moment and try again.';
  if (status === 413) return 'That is too large.';
  if (status === 404) return 'This is not here. It may have been deleted, or it is private.';
  return 'That did not work.';
}

export async function send<T>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as T | ErrorBody | null;
  if (response.ok) return payload as T;
  if (response.status === 401 && retry && storedRefreshToken() && (await refreshSession())) {
    return send<T>(method, path, body, false);
  }
  const error = (payload as ErrorBody | null)?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new ApiError(
    response.status,
    error?.code ?? 'unexpected',
    // A 5xx message is for operators; people get a sentence they can act on.
    response.status >= 500
      ? fallbackMessage(response.status)
      : (error?.message ?? fallbackMessage(response.status)),
    ((error?.details as { fields?: Record<string, string> } | undefined)?.fields ?? {}) as Record<
      string,
      string
    >,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
}

/**
 * Tabs share one refresh token in localStorage. Two tabs refreshing with the same token at once
 * would look like token theft (reuse revokes the session), so refreshes queue on a Web Lock.
 */
function acrossTabs<T>(task: () => Promise<T>): Promise<T> {
  return typeof navigator !== 'undefined' && navigator.locks
    ? navigator.locks.request('glimpse.refresh', task)
    : task();
}

/**
 * One refresh at a time: parallel 401s share it, so the rotating token is spent once. Only a
 * 401 from the server ends the session; a network error or 503 keeps the token for a retry.
 */
export function refreshSession(): Promise<boolean> {
  if (!storedRefreshToken()) return Promise.resolve(false);
  refreshing ??= acrossTabs(() => {
    // Read inside the lock: another tab may have rotated the token while this one waited.
    const refreshToken = storedRefreshToken();
    if (!refreshToken) return Promise.resolve(false);
    return send<TokenPair>('POST', '/auth/refresh', { refreshToken }, false).then(
      (pair) => (remember(pair), true),
    );
  })
    .catch((err: unknown) => {
      if (err instanceof ApiError && (err.status === 0 || err.status >= 500)) throw err;
      forget();
      for (const listener of sessionListeners) listener();
      return false;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}

export { NETWORK_MESSAGE };
