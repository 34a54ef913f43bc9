import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { notFound } from '../lib/errors.js';
import type { PostRow } from '../posts/posts.repo.js';
import { visiblePost } from '../posts/visible-post.js';

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
