import type { MediaRef, Post, User } from '@glimpse/contract';
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { toMediaRef, type MediaRow, type MediaUrls } from '../media/media-view.js';
import type { PostRow } from './posts.repo.js';

/**
 * Posts as the API shows them, for one viewer, in a fixed number of queries however many
 * posts there are: authors (with the viewer's relationship), media in order, hashtags and
 * mentions, and (for a signed-in viewer) whether they liked and saved each. Posts whose author
 * the viewer may not see are dropped (the caller has already checked visibility; this is the
 * last guard, never the only one).
 */
export class PostHydrator {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly urls: MediaUrls,
  ) {}

  async hydrate(viewer: string | null, rows: readonly PostRow[]): Promise<Post[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [authors, media, hashtags, mentions, mine] = await Promise.all([
      this.users.many(
        viewer,
        rows.map((r) => r.author_id),
      ),
      this.#media(ids),
      this.#names(
        sql<{
          post_id: string;
          name: string;
        }>`SELECT ph.post_id, h.name FROM post_hashtags ph JOIN hashtags h ON h.id = ph.hashtag_id WHERE ph.post_id = ANY(${ids}::bigint[]) ORDER BY h.name`,
      ),
      this.#names(
        sql<{
          post_id: string;
          name: string;
        }>`SELECT pm.post_id, u.username AS name FROM post_mentions pm JOIN users u ON u.id = pm.user_id WHERE pm.post_id = ANY(${ids}::bigint[]) ORDER BY u.username`,
      ),
      this.#engagement(viewer, ids),
    ]);
    return rows.flatMap((row) => {
      const author = authors.get(row.author_id);
      if (!author) return [];
      return [
        toPost(
          row,
          author,
          media.get(row.id) ?? [],
          hashtags.get(row.id) ?? [],
          mentions.get(row.id) ?? [],
          mine.get(row.id) ?? NOT_ENGAGED,
        ),
      ];
    });
  }

  async #media(postIds: readonly string[]): Promise<Map<string, MediaRef[]>> {
    const { rows } = await sql<MediaRow & { post_id: string; alt_text: string | null }>`
      SELECT pm.post_id, pm.alt_text, m.id, m.status, m.width, m.height, m.blurhash, m.dominant_color,
             m.error_code, m.error_message, m.rendition_source_id, u.is_private AS owner_private
        FROM post_media pm
        JOIN media m ON m.id = pm.media_id
        JOIN users u ON u.id = m.owner_id
       WHERE pm.post_id = ANY(${postIds}::bigint[])
       ORDER BY pm.post_id, pm.position`.execute(this.db);
    const byPost = new Map<string, MediaRef[]>();
    for (const row of rows) {
      const list = byPost.get(row.post_id) ?? [];
      list.push(toMediaRef(row, this.urls, row.alt_text));
      byPost.set(row.post_id, list);
    }
    return byPost;
  }

  /** The viewer's likes and saves among the posts, in one query; none for an anonymous viewer. */
  async #engagement(viewer: string | null, postIds: readonly string[]): Promise<Map<string, Engaged>> {
    if (viewer === null) return new Map();
    const { rows } = await sql<{ post_id: string; liked: boolean; saved: boolean }>`
      SELECT p.post_id,
             EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.post_id AND l.user_id = ${viewer}::bigint) AS liked,
             EXISTS (SELECT 1 FROM saves s WHERE s.user_id = ${viewer}::bigint AND s.post_id = p.post_id) AS saved
        FROM unnest(${postIds}::bigint[]) AS p(post_id)`.execute(this.db);
    return new Map(rows.map((r) => [r.post_id, { liked: r.liked, saved: r.saved }]));
  }

  async #names(query: RawBuilder<{ post_id: string; name: string }>): Promise<Map<string, string[]>> {
    const { rows } = await query.execute(this.db);
    const byPost = new Map<string, string[]>();
    for (const row of rows) byPost.set(row.post_id, [...(byPost.get(row.post_id) ?? []), row.name]);
    return byPost;
  }
}

interface Engaged {
  readonly liked: boolean;
  readonly saved: boolean;
}
const NOT_ENGAGED: Engaged = { liked: false, saved: false };

function toPost(
  row: PostRow,
  author: User,
  media: MediaRef[],
  hashtags: string[],
  mentions: string[],
  mine: Engaged,
): Post {
  return {
    id: row.id,
    author,
    media,
    caption: row.caption,
    location: row.location,
    hashtags,
    mentions,
    status: row.status,
    error: row.error_code ? { code: row.error_code } : null,
    likeCount: row.like_count,
    commentCount: row.comment_count,
    likedByMe: mine.liked,
    savedByMe: mine.saved,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at?.toISOString() ?? null,
  };
}
