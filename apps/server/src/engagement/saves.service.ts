import type { PostsPage, SaveState } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import type { PostHydrator } from '../posts/hydrate.js';
import { findPosts } from '../posts/posts.repo.js';
import { engageablePost, gone } from './access.js';
import * as repo from './engagement.repo.js';

/** Saves: a private bookmark list. No counter and no event: nobody else ever sees a save. */
export class SavesService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly hydrator: PostHydrator,
  ) {}

  async save(viewer: string, postId: string): Promise<SaveState> {
    await engageablePost(this.db, this.users, viewer, postId);
    await repo.insertSave(this.db, viewer, postId).catch(gone);
    return { savedByMe: true };
  }

  async unsave(viewer: string, postId: string): Promise<SaveState> {
    await engageablePost(this.db, this.users, viewer, postId);
    await repo.deleteSave(this.db, viewer, postId);
    return { savedByMe: false };
  }

  /** Newest save first; posts deleted or no longer visible drop out in SQL, so pages stay full. */
  async saved(viewer: string, page: { limit: number; cursor?: string }): Promise<PostsPage> {
    const rows = await repo.savedPage(this.db, {
      userId: viewer,
      after: decodeCursor(page.cursor),
      limit: page.limit,
    });
    const { page: saves, nextCursor } = paginate(rows, page.limit, (r) => r.saveId);
    const posts = await findPosts(
      this.db,
      saves.map((s) => s.postId),
    );
    const order = new Map(saves.map((s, i) => [s.postId, i]));
    posts.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { posts: await this.hydrator.hydrate(viewer, posts), nextCursor };
  }
}
