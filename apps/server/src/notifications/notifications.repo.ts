import { UNREAD_COUNT_CAP } from '@glimpse/contract';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { NotificationType } from '../db/schema.js';
import { visibleTo } from '../graph/visibility.sql.js';

export interface NotificationRow {
  id: string;
  type: NotificationType;
  actor_id: string;
  post_id: string | null;
  comment_id: string | null;
  created_at: Date;
}

export interface NewNotification {
  readonly recipientId: string;
  readonly type: NotificationType;
  readonly actorId: string;
  readonly postId: string | null;
  readonly commentId: string | null;
  readonly dedupeKey: string;
}

/**
 * Inserts what is not there yet, in one statement; returns only the rows this call created, so a
 * redelivered event (or a like after an unlike) publishes nothing. It commits on its own: the
 * caller publishes to live streams after it returns.
 */
export async function insertNotifications(
  db: Executor,
  rows: readonly NewNotification[],
): Promise<{ id: string; recipient_id: string }[]> {
  if (rows.length === 0) return [];
  const col = <T>(f: (r: NewNotification) => T) => rows.map(f);
  const { rows: inserted } = await sql<{ id: string; recipient_id: string }>`
    INSERT INTO notifications (recipient_id, id, type, actor_id, post_id, comment_id, dedupe_key)
    SELECT x.recipient_id, next_id(shard_of(x.recipient_id)), x.type, x.actor_id, x.post_id, x.comment_id, x.dedupe_key
      FROM unnest(${col((r) => r.recipientId)}::bigint[], ${col((r) => r.type)}::text[],
                  ${col((r) => r.actorId)}::bigint[], ${col((r) => r.postId)}::bigint[],
                  ${col((r) => r.commentId)}::bigint[], ${col((r) => r.dedupeKey)}::text[])
           AS x (recipient_id, type, actor_id, post_id, comment_id, dedupe_key)
    ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
    RETURNING id, recipient_id`.execute(db);
  return inserted;
}

/** What decides whether `recipient` may hear about `actor` (and about a post of `owner`). */
export interface GateFacts {
  readonly recipient: string;
  readonly actor: string;
  readonly recipientBlocksActor: boolean;
  readonly actorBlocksRecipient: boolean;
  readonly recipientMutesActor: boolean;
  /** Facts about the post's owner, from the recipient's side; null when there is no post. */
  readonly owner: null | {
    readonly id: string;
    readonly isPrivate: boolean;
    readonly recipientFollows: boolean;
    readonly ownerBlocksRecipient: boolean;
    readonly recipientBlocksOwner: boolean;
  };
}

/** Gate facts for any number of (recipient, actor, post owner) triples, in one query. */
export async function gateFacts(
  db: Executor,
  triples: readonly { recipient: string; actor: string; owner: string | null }[],
): Promise<GateFacts[]> {
  if (triples.length === 0) return [];
  const { rows } = await sql<{
    r: string;
    a: string;
    o: string | null;
    r_blocks_a: boolean;
    a_blocks_r: boolean;
    r_mutes_a: boolean;
    o_private: boolean | null;
    r_follows_o: boolean;
    o_blocks_r: boolean;
    r_blocks_o: boolean;
  }>`
    SELECT x.r, x.a, x.o,
      EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = x.r AND b.blocked_id = x.a) AS r_blocks_a,
      EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = x.a AND b.blocked_id = x.r) AS a_blocks_r,
      EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = x.r AND m.muted_id = x.a) AS r_mutes_a,
      o.is_private AS o_private,
      EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = x.r AND f.followee_id = x.o AND f.state = 'accepted') AS r_follows_o,
      EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = x.o AND b.blocked_id = x.r) AS o_blocks_r,
      EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = x.r AND b.blocked_id = x.o) AS r_blocks_o
    FROM unnest(${triples.map((t) => t.recipient)}::bigint[], ${triples.map((t) => t.actor)}::bigint[],
                ${triples.map((t) => t.owner)}::bigint[]) WITH ORDINALITY AS x (r, a, o, n)
    LEFT JOIN users o ON o.id = x.o
    ORDER BY x.n`.execute(db);
  return rows.map((r) => ({
    recipient: r.r,
    actor: r.a,
    recipientBlocksActor: r.r_blocks_a,
    actorBlocksRecipient: r.a_blocks_r,
    recipientMutesActor: r.r_mutes_a,
    owner:
      r.o === null || r.o_private === null
        ? null
        : {
            id: r.o,
            isPrivate: r.o_private,
            recipientFollows: r.r_follows_o,
            ownerBlocksRecipient: r.o_blocks_r,
            recipientBlocksOwner: r.r_blocks_o,
          },
  }));
}

/**
 * The notifications `viewer` may see today: not from an account blocked either way (the
 * profile rule) or muted by the viewer, and only about posts the viewer may still see (the
 * content rule; a deleted post takes its notifications at once). Evaluated in SQL so a page is
 * never thinned after the fact. The post is reached through `FROM_SHOWN` (one index probe per
 * notification): an `EXISTS` under `OR` was planned as a hashed subplan that read every post.
 */
function shownTo(viewer: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${visibleTo('profile', { owner: sql.ref('n.actor_id'), viewer })}
    AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ${viewer}::bigint AND m.muted_id = n.actor_id)
    AND (n.post_id IS NULL OR (
      p.deleted_at IS NULL AND p.status = 'published'
      AND ${visibleTo('content', {
        owner: sql.ref('p.author_id'),
        // A per-row lookup: a join to users was planned as a hash of the whole table.
        ownerPrivate: sql`(SELECT pa.is_private FROM users pa WHERE pa.id = p.author_id)`,
        viewer,
      })}))`;
}

/**
 * The notifications and, for those about a post, the post (what shownTo reads). The post comes
 * from a LATERAL subquery with LIMIT, which the planner cannot flatten into a join: it stays
 * one primary-key probe per notification read. As a plain join, a recipient with thousands of
 * notifications got a hash of the whole posts table for a count that stops at 99 (28 ms at 100k
 * posts, bench `engagement`).
 */
const FROM_SHOWN = sql`notifications n
  LEFT JOIN LATERAL (
    SELECT p.author_id, p.status, p.deleted_at FROM posts p WHERE p.id = n.post_id LIMIT 1
  ) p ON true`;

const COLUMNS = sql`n.id, n.type, n.actor_id, n.post_id, n.comment_id, n.created_at`;

/** Newest first, below `before` (a keyset cursor); limit + 1 rows so the caller can paginate. */
export async function pageFor(
  db: Executor,
  viewer: string,
  page: { before: string | undefined; limit: number },
): Promise<NotificationRow[]> {
  return (await pageQuery(viewer, page).execute(db)).rows;
}

/** The statement of pageFor (explain.test.ts EXPLAINs it at scale). */
export function pageQuery(viewer: string, page: { before: string | undefined; limit: number }) {
  return sql<NotificationRow>`
    SELECT ${COLUMNS} FROM ${FROM_SHOWN}
     WHERE n.recipient_id = ${viewer}::bigint
       ${page.before === undefined ? sql`` : sql`AND n.id < ${page.before}::bigint`}
       AND ${shownTo(viewer)}
     ORDER BY n.id DESC
     LIMIT ${page.limit + 1}`;
}

/** Oldest first after `after` (a stream's replay), or exactly `ids` (live events). */
export async function rowsFor(
  db: Executor,
  viewer: string,
  which: { after: string; limit: number } | { ids: readonly string[] },
): Promise<NotificationRow[]> {
  const where =
    'ids' in which ? sql`n.id = ANY(${[...which.ids]}::bigint[])` : sql`n.id > ${which.after}::bigint`;
  const { rows } = await sql<NotificationRow>`
    SELECT ${COLUMNS} FROM ${FROM_SHOWN}
     WHERE n.recipient_id = ${viewer}::bigint AND ${where} AND ${shownTo(viewer)}
     ORDER BY n.id
     ${'ids' in which ? sql`` : sql`LIMIT ${which.limit}`}`.execute(db);
  return rows;
}

/**
 * The read marker and how many shown notifications are above it. The count walks the
 * recipient's index from the marker up and stops at the cap, so it stays cheap for anyone.
 */
export async function readState(db: Executor, viewer: string): Promise<{ marker: string; unread: number }> {
  const { rows } = await readStateQuery(viewer).execute(db);
  const row = rows[0];
  return { marker: row?.marker ?? '0', unread: Number(row?.unread ?? 0) };
}

/** The statement of readState (explain.test.ts EXPLAINs it at scale). */
export function readStateQuery(viewer: string) {
  return sql<{ marker: string; unread: string }>`
    SELECT u.notifications_read_upto AS marker,
      (SELECT count(*) FROM (
         SELECT 1 FROM ${FROM_SHOWN}
          WHERE n.recipient_id = u.id AND n.id > u.notifications_read_upto AND ${shownTo(viewer)}
          LIMIT ${UNREAD_COUNT_CAP}) capped) AS unread
      FROM users u WHERE u.id = ${viewer}::bigint`;
}

export async function readMarker(db: Executor, viewer: string): Promise<string> {
  const row = await db
    .selectFrom('users')
    .select('notifications_read_upto')
    .where('id', '=', viewer)
    .executeTakeFirst();
  return row?.notifications_read_upto ?? '0';
}

/**
 * Moves the marker forward only, and never past the newest notification the user has: an
 * `upTo` from the future must not swallow notifications that do not exist yet.
 */
export async function markRead(db: Executor, viewer: string, upTo: string): Promise<void> {
  // Only a real move writes the row: marking what is already read leaves no dead tuple behind.
  await sql`
    UPDATE users u SET notifications_read_upto = t.target
      FROM (SELECT LEAST(${upTo}::bigint, COALESCE(
              (SELECT max(n.id) FROM notifications n WHERE n.recipient_id = ${viewer}::bigint), 0)) AS target) t
     WHERE u.id = ${viewer}::bigint AND u.notifications_read_upto < t.target`.execute(db);
}
