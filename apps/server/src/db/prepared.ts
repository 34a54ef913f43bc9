import { sql, type RawBuilder } from 'kysely';

/** What a statement starts with when it is to be prepared (see `prepared`). */
export const PREPARED_MARK = '/* prepared */ ';

/**
 * Marks a hot statement to be planned once per connection instead of on every execution: the
 * PostgreSQL adapter runs it as a named prepared statement (PGlite ignores the comment). For
 * a feed page the planning cost about as much as the execution. Only for statements whose
 * text never varies with the arguments (no IN lists, no optional clauses): each distinct text
 * stays prepared on every connection for the connection's life. The plan PostgreSQL settles
 * on may be generic, made without seeing the arguments, so every probe must be cheap for any
 * argument (no plan that is only good because of the viewer's statistics).
 */
export function prepared<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(PREPARED_MARK)}${statement}`;
}
