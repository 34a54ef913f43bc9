import { badRequest } from './errors.js';
import { isId } from './ids.js';

/**
 * Opaque list cursors. Today they wrap the last id of a page (keyset pagination: pages never
 * skip or repeat while rows arrive); the version prefix lets the format change later.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`v1:${lastId}`).toString('base64url');
}

/** The id to continue after, or undefined for the first page. Garbage is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('v1:') ? text.slice(3) : '';
  if (!isId(id)) throw badRequest('invalid_cursor', 'This cursor is not valid; start again without one.');
  return id;
}

/** Splits a page fetched with limit + 1 rows into the page and the cursor for the next one. */
export function paginate<T>(
  rows: readonly T[],
  limit: number,
  idOf: (row: T) => string,
): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? encodeCursor(idOf(page.at(-1)!)) : null };
}
