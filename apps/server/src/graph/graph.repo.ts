import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { Facts } from './visibility.js';
import { visibleTo } from './visibility.sql.js';

/** What one viewer is to one user: the policy's facts plus the API's `relationship`. */
export interface Relation extends Facts {
  readonly following: boolean;
  readonly requested: boolean;
  readonly followedBy: boolean;
  readonly blocking: boolean;
  readonly muting: boolean;
}

/** What `relationColumns` selects: the viewer's edges to one user, each way. */
export interface RelationFlags {
  /** The viewer's follow of the user: 'accepted', 'pending' (a request), or null. */
  readonly follow_state: 'accepted' | 'pending' | null;
  readonly followed_by: boolean;
  readonly blocking: boolean;
  readonly blocked_by: boolean;
  readonly muting: boolean;
}

/**
 * The RelationFlags of `viewer` to the user whose id is `user`, as columns of any select list.
 * Each is a scalar probe of a primary key (both columns given): as EXISTS, the planner may
 * instead walk one side's whole list (a celebrity's followers, to find the viewer) or hash it.
 */
export function relationColumns(viewer: string | null, user: RawBuilder<unknown>): RawBuilder<RelationFlags> {
  const v = sql`${viewer ?? '0'}::bigint`;
  return sql<RelationFlags>`
      (SELECT f.state FROM follows f WHERE f.follower_id = ${v} AND f.followee_id = ${user}) AS follow_state,
      COALESCE((SELECT f.state = 'accepted' FROM follows f WHERE f.follower_id = ${user} AND f.followee_id = ${v}), false) AS followed_by,
      COALESCE((SELECT true FROM blocks b WHERE b.blocker_id = ${v} AND b.blocked_id = ${user}), false) AS blocking,
      COALESCE((SELECT true FROM blocks b WHERE b.blocker_id = ${user} AND b.blocked_id = ${v}), false) AS blocked_by,
      COALESCE((SELECT true FROM mutes m WHERE m.muter_id = ${v} AND m.muted_id = ${user}), false) AS muting`;
}

export function toRelation(
  viewer: string | null,
  user: { readonly id: string; readonly isPrivate: boolean },
  flags: RelationFlags,
): Relation {
  const following = flags.follow_state === 'accepted';
  return {
    isOwner: viewer !== null && user.id === viewer,
    ownerPublic: !user.isPrivate,
    followsOwner: following,
    ownerBlocksViewer: flags.blocked_by,
    viewerBlocksOwner: flags.blocking,
    following,
    requested: flags.follow_state === 'pending',
    followedBy: flags.followed_by,
    blocking: flags.blocking,
    muting: flags.muting,
  };
}

/** Relations of `viewer` to every user in `ids`, in one query. Absent users are absent from the map. */
export async function relations(
  db: Executor,
  viewer: string | null,
  ids: readonly string[],
): Promise<Map<string, Relation>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<RelationFlags & { id: string; is_private: boolean }>`
    SELECT u.id, u.is_private, ${relationColumns(viewer, sql.ref('u.id'))}
    FROM users u
    WHERE u.id = ANY(${[...new Set(ids)]}::bigint[])`.execute(db);
  return new Map(rows.map((r) => [r.id, toRelation(viewer, { id: r.id, isPrivate: r.is_private }, r)]));
}

export async function findUserIdByUsername(db: Executor, username: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('username', '=', username.toLowerCase())
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function isPrivate(db: Executor, userId: string): Promise<boolean | null> {
  const row = await db.selectFrom('users').select('is_private').where('id', '=', userId).executeTakeFirst();
  return row ? row.is_private : null;
}

/** Inserts the edge unless one exists; returns the state now stored and whether this call made it. */
export async function insertFollow(
  db: Executor,
  follower: string,
  followee: string,
  state: 'accepted' | 'pending',
): Promise<{ state: 'accepted' | 'pending'; created: boolean }> {
  const inserted = await db
    .insertInto('follows')
    .values({
      follower_id: follower,
      followee_id: followee,
      state,
      id: sql<string>`next_id(shard_of(${follower}::bigint))`,
    })
    .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
    .returning('state')
    .executeTakeFirst();
  if (inserted) return { state: inserted.state, created: true };
  const existing = await db
    .selectFrom('follows')
    .select('state')
    .where('follower_id', '=', follower)
    .where('followee_id', '=', followee)
    .executeTakeFirst();
  return { state: existing?.state ?? state, created: false };
}

/** Removes follow edges; returns the removed ones, so counters can be adjusted for accepted ones. */
export async function deleteFollows(
  db: Executor,
  pairs: readonly { follower: string; followee: string }[],
  onlyState?: 'pending',
): Promise<{ follower_id: string; followee_id: string; state: 'accepted' | 'pending' }[]> {
  if (pairs.length === 0) return [];
  let query = db
    .deleteFrom('follows')
    .where((eb) =>
      eb.or(
        pairs.map((p) => eb.and([eb('follower_id', '=', p.follower), eb('followee_id', '=', p.followee)])),
      ),
    );
  if (onlyState) query = query.where('state', '=', onlyState);
  return query.returning(['follower_id', 'followee_id', 'state']).execute();
}

/** pending → accepted for the given requesters of `followee`; returns who was accepted. */
export async function acceptRequests(
  db: Executor,
  followee: string,
  followers: readonly string[] | 'all',
): Promise<string[]> {
  let query = db
    .updateTable('follows')
    .set({ state: 'accepted' })
    .where('followee_id', '=', followee)
    .where('state', '=', 'pending');
  if (followers !== 'all') {
    if (followers.length === 0) return [];
    query = query.where('follower_id', 'in', followers);
  }
  return (await query.returning('follower_id').execute()).map((r) => r.follower_id);
}

/**
 * Keeps follower/following counts equal to the accepted edges: called in the transaction that
 * changed the edges, with +1 or -1 per accepted edge.
 */
export async function adjustFollowCounts(
  db: Executor,
  edges: readonly { follower: string; followee: string }[],
  delta: 1 | -1,
) {
  if (edges.length === 0) return;
  const bump = (column: 'follower_count' | 'following_count', ids: string[]) => {
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + delta);
    return sql`
      UPDATE users SET ${sql.ref(column)} = ${sql.ref(column)} + d.delta
      FROM (SELECT unnest(${[...counts.keys()]}::bigint[]) AS id, unnest(${[...counts.values()]}::int[]) AS delta) d
      WHERE users.id = d.id`.execute(db);
  };
  await bump(
    'following_count',
    edges.map((e) => e.follower),
  );
  await bump(
    'follower_count',
    edges.map((e) => e.followee),
  );
}

export async function insertBlock(db: Executor, blocker: string, blocked: string): Promise<boolean> {
  const row = await db
    .insertInto('blocks')
    .values({ blocker_id: blocker, blocked_id: blocked })
    .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
    .returning('blocker_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteBlock(db: Executor, blocker: string, blocked: string): Promise<boolean> {
  const rows = await db
    .deleteFrom('blocks')
    .where('blocker_id', '=', blocker)
    .where('blocked_id', '=', blocked)
    .returning('blocker_id')
    .execute();
  return rows.length > 0;
}

export async function insertMute(db: Executor, muter: string, muted: string): Promise<boolean> {
  const row = await db
    .insertInto('mutes')
    .values({ muter_id: muter, muted_id: muted })
    .onConflict((oc) => oc.columns(['muter_id', 'muted_id']).doNothing())
    .returning('muter_id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteMute(db: Executor, muter: string, muted: string): Promise<boolean> {
  const rows = await db
    .deleteFrom('mutes')
    .where('muter_id', '=', muter)
    .where('muted_id', '=', muted)
    .returning('muter_id')
    .execute();
  return rows.length > 0;
}

/**
 * One page of a follow list, newest edge first: `of`'s followers (`direction: 'followers'`) or
 * the accounts `of` follows. Users the viewer cannot see (a block either way) are left out.
 */
export async function followPage(
  db: Executor,
  options: {
    of: string;
    direction: 'followers' | 'following' | 'requests';
    viewer: string | null;
    after?: string;
    limit: number;
  },
): Promise<{ userId: string; edgeId: string }[]> {
  const { of, direction, viewer, after, limit } = options;
  const mine = direction === 'following' ? 'follower_id' : 'followee_id';
  const theirs = direction === 'following' ? 'followee_id' : 'follower_id';
  const state = direction === 'requests' ? 'pending' : 'accepted';
  let query = db
    .selectFrom('follows')
    .select([`${theirs} as userId`, 'id as edgeId'])
    .where(mine, '=', of)
    .where('state', '=', state);
  if (after) query = query.where('id', '<', after);
  // A user the viewer may not see (a block either way) never appears inside a list.
  query = query.where(visibleTo('profile', { owner: sql.ref(`follows.${theirs}`), viewer }));
  return query
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
}

/** The accounts `blocker` blocked, newest account first (the primary key's order), limit + 1 rows. */
export async function blockedPage(
  db: Executor,
  options: { blocker: string; after?: string; limit: number },
): Promise<{ id: string; username: string; blockedAt: Date }[]> {
  let query = db
    .selectFrom('blocks')
    .innerJoin('users', 'users.id', 'blocks.blocked_id')
    .select(['blocks.blocked_id as id', 'users.username', 'blocks.created_at as blockedAt'])
    .where('blocks.blocker_id', '=', options.blocker);
  if (options.after) query = query.where('blocks.blocked_id', '<', options.after);
  return query
    .orderBy('blocks.blocked_id', 'desc')
    .limit(options.limit + 1)
    .execute();
}
