import type { Post } from '@glimpse/contract';
import { sql, type RawBuilder } from 'kysely';
import type { UserRecord } from '../accounts/accounts.repo.js';
import type { Executor } from '../db/executor.js';
import { prepared } from '../db/prepared.js';
import { relationColumns, toRelation, type RelationFlags } from '../graph/graph.repo.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { toMediaRef, type MediaRow, type MediaUrls } from '../media/media-view.js';
import type { PostRow } from './posts.repo.js';

/** A post row or its ids alone, with everything hydration adds, from one statement. */
type Hydrated<Row> = Row &
  RelationFlags & {
    author_username: string;
    author_email: string;
    author_display_name: string;
    author_bio: string;
    author_is_private: boolean;
    author_post_count: number;
    author_follower_count: number;
    author_following_count: number;
    author_created_at: Date;
    author_avatar: MediaRow | null;
    media: (MediaRow & { alt_text: string | null })[] | null;
    hashtags: string[];
    mentions: string[];
    liked: boolean;
    saved: boolean;
  };

/** A post row, and the post as the viewer sees it (null when the policy hides its author). */
export interface HydratedRow {
  readonly row: PostRow;
  readonly post: Post | null;
}

/**
 * Posts as the API shows them, for one viewer, in one statement however many posts there are:
 * authors (with the viewer's relationship), media in order, hashtags and mentions, and (for a
 * signed-in viewer) whether they liked and saved each. One statement rather than one per part:
 * on a feed page each round trip costs more in the two processes than the rows it carries.
 * Posts whose author the viewer may not see are dropped (the caller has already checked
 * visibility; this is the last guard, never the only one).
 */
export class PostHydrator {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly urls: MediaUrls,
  ) {}

  /** The rows as posts, in the rows' order. */
  async hydrate(viewer: string | null, rows: readonly PostRow[]): Promise<Post[]> {
    if (rows.length === 0) return [];
    const found = new Map((await this.#execute(viewer, byIds(rows))).map((h) => [h.id, h]));
    return rows.flatMap((row) => {
      const extras = found.get(row.id);
      const post = extras && this.#toPost(viewer, row, extras);
      return post ? [post] : [];
    });
  }

  /**
   * Reads post rows and hydrates them in the same statement: `source` selects every column of
   * POST_COLUMNS. Newest first.
   */
  async select(viewer: string | null, source: RawBuilder<PostRow>): Promise<HydratedRow[]> {
    return (await this.#execute(viewer, source)).map((row) => ({
      row,
      post: this.#toPost(viewer, row, row),
    }));
  }

  async #execute<Row extends { id: string; author_id: string }>(
    viewer: string | null,
    source: RawBuilder<Row>,
  ): Promise<Hydrated<Row>[]> {
    const { rows } = await hydrationQuery(viewer, source).execute(this.db);
    return rows;
  }

  #toPost(viewer: string | null, row: PostRow, extras: Hydrated<unknown>): Post | null {
    const rel = toRelation(viewer, { id: row.author_id, isPrivate: extras.author_is_private }, extras);
    const author = this.users.present(viewer, authorRecord(row.author_id, extras), rel);
    if (!author) return null;
    return {
      id: row.id,
      author,
      media: (extras.media ?? []).map((m) => toMediaRef(m, this.urls, m.alt_text)),
      caption: row.caption,
      location: row.location,
      hashtags: extras.hashtags,
      mentions: extras.mentions,
      status: row.status,
      error: row.error_code ? { code: row.error_code } : null,
      likeCount: row.like_count,
      commentCount: row.comment_count,
      likedByMe: extras.liked,
      savedByMe: extras.saved,
      createdAt: row.created_at.toISOString(),
      editedAt: row.edited_at?.toISOString() ?? null,
    };
  }
}

/** The rows' ids and authors, as a source for hydrationQuery. */
export function byIds(rows: readonly Pick<PostRow, 'id' | 'author_id'>[]) {
  return sql<Pick<PostRow, 'id' | 'author_id'>>`
    SELECT * FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.author_id)}::bigint[]) AS x (id, author_id)`;
}

/**
 * The media row aliased `m` as JSON in MediaRow's shape, plus `extra` key/value pairs (ids as
 * text: they do not fit a JSON number).
 */
function mediaJson(m: string, ownerPrivate: RawBuilder<unknown>, extra = sql``) {
  const col = (name: string) => sql.ref(`${m}.${name}`);
  return sql`json_build_object('id', ${col('id')}::text, 'status', ${col('status')},
      'width', ${col('width')}, 'height', ${col('height')}, 'blurhash', ${col('blurhash')},
      'dominant_color', ${col('dominant_color')}, 'error_code', ${col('error_code')},
      'error_message', ${col('error_message')}, 'rendition_source_id', ${col('rendition_source_id')}::text,
      'owner_private', ${ownerPrivate}${extra})`;
}

/** The parts of the hydration that do not depend on the viewer, built once. */
const AUTHOR_AVATAR = sql`CASE WHEN av.id IS NOT NULL THEN ${mediaJson('av', sql.ref('a.is_private'))} END`;
const POST_MEDIA = sql`(SELECT json_agg(${mediaJson('m', sql.ref('o.is_private'), sql`, 'alt_text', pm.alt_text`)} ORDER BY pm.position)
    FROM post_media pm JOIN media m ON m.id = pm.media_id JOIN users o ON o.id = m.owner_id
   WHERE pm.post_id = s.id)`;
const POST_HASHTAGS = sql`ARRAY(SELECT h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id
   WHERE ph.post_id = s.id ORDER BY h.name)`;
const POST_MENTIONS = sql`ARRAY(SELECT u.username FROM post_mentions pn JOIN users u ON u.id = pn.user_id
   WHERE pn.post_id = s.id ORDER BY u.username)`;

/**
 * `source`'s rows with their author (as accounts.repo's selectUsers reads a user, avatar
 * included), the viewer's relation to the author, and per post its media, tags, mentions, and
 * the viewer's like and save, each a correlated subquery on the post's own index entries.
 */
export function hydrationQuery<Row>(
  viewer: string | null,
  source: RawBuilder<Row>,
): RawBuilder<Hydrated<Row>> {
  const mine =
    viewer === null
      ? sql`false AS liked, false AS saved`
      : sql`EXISTS (SELECT 1 FROM likes l WHERE l.post_id = s.id AND l.user_id = ${viewer}::bigint) AS liked,
            EXISTS (SELECT 1 FROM saves sv WHERE sv.user_id = ${viewer}::bigint AND sv.post_id = s.id) AS saved`;
  return prepared(sql<Hydrated<Row>>`
    SELECT s.*,
           a.username AS author_username, a.email AS author_email, a.display_name AS author_display_name,
           a.bio AS author_bio, a.is_private AS author_is_private, a.post_count AS author_post_count,
           a.follower_count AS author_follower_count, a.following_count AS author_following_count,
           a.created_at AS author_created_at, ${AUTHOR_AVATAR} AS author_avatar,
           ${relationColumns(viewer, sql.ref('a.id'))},
           ${POST_MEDIA} AS media, ${POST_HASHTAGS} AS hashtags, ${POST_MENTIONS} AS mentions,
           ${mine}
      FROM (${source}) s
      JOIN users a ON a.id = s.author_id
      LEFT JOIN media av ON av.id = a.avatar_media_id
     ORDER BY s.id DESC`);
}

function authorRecord(id: string, r: Hydrated<unknown>): UserRecord {
  return {
    id,
    username: r.author_username,
    email: r.author_email,
    display_name: r.author_display_name,
    bio: r.author_bio,
    is_private: r.author_is_private,
    post_count: r.author_post_count,
    follower_count: r.author_follower_count,
    following_count: r.author_following_count,
    created_at: r.author_created_at,
    avatar: r.author_avatar,
  };
}
