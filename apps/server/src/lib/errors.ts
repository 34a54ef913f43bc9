/**
 * The one error type the HTTP layer turns into the API's error body. Services throw these
 * without knowing about HTTP frameworks; anything else that escapes is a bug and becomes a 500.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError(400, code, message, details);

/** A 400 naming the offending fields the same way schema validation does. */
export const invalidFields = (fields: Record<string, string>) =>
  new AppError(400, 'validation_failed', 'Some fields are invalid.', { fields });

export const unauthorized = (code: string, message: string) =>
  new AppError(401, code, message, undefined, { 'WWW-Authenticate': `Bearer error="invalid_token"` });

export const forbidden = (code: string, message: string) => new AppError(403, code, message);

export const notFound = (what = 'resource') =>
  new AppError(404, 'not_found', `That ${what} does not exist or is not visible to you.`);

export const conflict = (code: string, message: string) => new AppError(409, code, message);

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(
    429,
    'rate_limited',
    `Too many requests. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );

export const unavailable = (code: string, message: string, retryAfterSeconds = 5) =>
  new AppError(503, code, message, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** PostgreSQL's unique_violation, with the constraint that fired (same shape on pg and PGlite). */
export function uniqueViolation(err: unknown): string | null {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505') {
    return String((err as { constraint?: unknown }).constraint ?? '');
  }
  return null;
}
