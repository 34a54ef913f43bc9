import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { postVisible } from '../graph/visibility.js';
import { notFound } from '../lib/errors.js';
import { findPosts, type PostRow } from '../posts/posts.repo.js';

/** The post if the viewer may see it (the policy of GET /posts/{id}); otherwise 404. */
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

/**
 * The post if it can take likes, comments and saves from the viewer: visible to them and
 * published. Anything else (absent, deleted, still processing, private, blocked either way)
 * is the same 404.
 */
export async function engageablePost(
  db: Executor,
  users: UserDirectory,
  viewer: string,
  postId: string,
): Promise<PostRow> {
  const row = await visiblePost(db, users, viewer, postId);
  if (row.status !== 'published') throw notFound('post');
  return row;
}

/**
 * For a write's `.catch`: a foreign_key_violation means the post was removed between the check
 * and the write, which answers the same 404 as if the removal had come first.
 */
export function gone(err: unknown): never {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23503')
    throw notFound('post');
  throw err;
}
