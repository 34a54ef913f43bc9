import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { rules, type Fact, type Rule, type Subject } from './visibility.js';

/**
 * The policy of visibility.ts compiled to SQL, so lists filter in the database with the same
 * rules that single reads check in code. `owner` is the SQL expression of the owner's id and
 * `ownerPrivate` of their is_private flag; `viewer` is the viewer's id or null (anonymous).
 */
export interface SqlContext {
  readonly owner: Expression<unknown> | RawBuilder<unknown>;
  /** Only rules that mention `ownerPublic` need it. */
  readonly ownerPrivate?: Expression<unknown> | RawBuilder<unknown>;
  readonly viewer: string | null;
}

function fact(fact: Fact, ctx: SqlContext): RawBuilder<SqlBool> {
  const { owner, ownerPrivate, viewer } = ctx;
  if (fact === 'ownerPublic') {
    if (!ownerPrivate) throw new Error("this rule needs the owner's is_private column");
    return sql<SqlBool>`NOT ${ownerPrivate}`;
  }
  // Anonymous: owns nothing, follows no one, blocks and is blocked by no one.
  if (viewer === null) return sql<SqlBool>`false`;
  switch (fact) {
    case 'isOwner':
      return sql<SqlBool>`${owner} = ${viewer}::bigint`;
    case 'followsOwner':
      return sql<SqlBool>`EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = ${viewer}::bigint AND f.followee_id = ${owner} AND f.state = 'accepted')`;
    case 'ownerBlocksViewer':
      return sql<SqlBool>`EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ${owner} AND b.blocked_id = ${viewer}::bigint)`;
    case 'viewerBlocksOwner':
      return sql<SqlBool>`EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ${viewer}::bigint AND b.blocked_id = ${owner})`;
  }
}

export function compile(rule: Rule, ctx: SqlContext): RawBuilder<SqlBool> {
  if (typeof rule === 'string') return fact(rule, ctx);
  if ('not' in rule) return sql<SqlBool>`NOT (${compile(rule.not, ctx)})`;
  const parts = ('all' in rule ? rule.all : rule.any).map((r) => compile(r, ctx));
  return sql<SqlBool>`(${sql.join(parts, sql.raw('all' in rule ? ' AND ' : ' OR '))})`;
}

/** `WHERE` predicate: the viewer may see `subject` of the owner in `ctx`. */
export function visibleTo(subject: Subject, ctx: SqlContext): RawBuilder<SqlBool> {
  return compile(rules[subject], ctx);
}
