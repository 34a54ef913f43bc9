import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { postVisible } from '../graph/visibility.js';
import { notFound } from '../lib/errors.js';
import { findPosts, type PostRow } from './posts.repo.js';

/**
 * The post if the viewer may see it (the policy's post rule on top of its author's); otherwise
 * 404, whatever the reason. Every single-post read and write starts here: GET /posts/{id},
 * edits, likes, comments, saves.
 */
export async function visiblePost(
  db: Executor,
  users: UserDirectory,
  viewer: string | null,
  postId: string,
): Promise<PostRow> {
  const [row] = await findPosts(db, [postId]);
  if (!row) throw notFound('post');
  const facts = await users.facts(viewer, row.author_id);
  if (!facts || !postVisible({ status: row.status, deleted: row.deleted_at !== null }, facts))
    throw notFound('post');
  return row;
}
