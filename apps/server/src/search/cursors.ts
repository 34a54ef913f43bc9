import { badRequest } from '../lib/errors.js';
import { isId } from '../lib/ids.js';

/**
 * Opaque cursors for the lists ranked by more than an id. Like lib/cursor.ts: base64url text
 * with a versioned prefix, and anything that does not decode into the right kind is 400
 * `invalid_cursor`. The prefix names the list, so a cursor from one search type is refused by
 * another instead of silently meaning something else there.
 */
type Part = 'int' | 'id' | 'tag';

const CHECKS: Record<Part, (value: string) => boolean> = {
  int: (v) => /^(0|[1-9][0-9]{0,9})$/.test(v) && Number(v) <= 2_147_483_647,
  id: isId,
  // Hashtag names hold letters, marks, digits and underscores: never the separator.
  tag: (v) => /^[\p{L}\p{M}\p{N}_]{1,100}$/u.test(v),
};

export function encodeParts(kind: string, parts: readonly (string | number)[]): string {
  return Buffer.from(`${kind}1:${parts.join(':')}`).toString('base64url');
}

/** The cursor's parts, each checked against its type; undefined for the first page. */
export function decodeParts(
  kind: string,
  cursor: string | undefined,
  shape: readonly Part[],
): string[] | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}1:`;
  const parts = text.startsWith(prefix) ? text.slice(prefix.length).split(':') : [];
  if (parts.length !== shape.length || !parts.every((p, i) => CHECKS[shape[i]!](p))) {
    throw badRequest('invalid_cursor', 'This cursor is not valid; start again without one.');
  }
  return parts;
}
