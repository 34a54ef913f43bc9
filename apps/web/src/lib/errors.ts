import { ApiError } from '../api/index.js';

/** Any thrown value as a sentence a person can act on; API errors already carry one. */
export function humanError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter)
      return `You are doing that too often. Try again in ${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}.`;
    return error.message;
  }
  return 'Something unexpected happened. Reload the page and try again.';
}

/** Worth retrying on its own: the network, a busy server, a rate limit. Never a 4xx answer. */
export function isTransient(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
}
