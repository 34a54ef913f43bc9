import type { Comment } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { commentsByIds, type CommentRow } from './engagement.repo.js';

/**
 * Comments as the API shows them, for one viewer, in three queries however many there are:
 * the rows (already filtered by the policy in SQL) and their authors. A comment is left out
 * when the viewer may not see its post, or when a block stands between the viewer and its
 * author (the author is then missing from the directory's answer too: the last guard).
 */
export class CommentReader {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
  ) {}

  async many(viewer: string | null, ids: readonly string[]): Promise<Map<string, Comment>> {
    if (ids.length === 0) return new Map();
    const rows = await commentsByIds(this.db, viewer, [...new Set(ids)]);
    const comments = await this.fromRows(viewer, rows);
    return new Map(comments.map((c) => [c.id, c]));
  }

  /** Rows the caller has already filtered by the policy, in their order. */
  async fromRows(viewer: string | null, rows: readonly CommentRow[]): Promise<Comment[]> {
    if (rows.length === 0) return [];
    const authors = await this.users.many(
      viewer,
      rows.map((r) => r.author_id),
    );
    return rows.flatMap((row) => {
      const author = authors.get(row.author_id);
      if (!author) return [];
      return [
        {
          id: row.id,
          postId: row.post_id,
          author,
          body: row.body,
          createdAt: row.created_at.toISOString(),
        },
      ];
    });
  }
}
