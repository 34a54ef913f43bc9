import type { User } from '@glimpse/contract';
import * as accounts from '../accounts/accounts.repo.js';
import { toUser } from '../accounts/user-view.js';
import type { Executor } from '../db/executor.js';
import type { MediaUrls } from '../media/media-view.js';
import * as graph from './graph.repo.js';
import { allows, type Facts } from './visibility.js';

/**
 * Users as a viewer may see them: batch-loaded (two queries for any number of ids), with the
 * viewer's `relationship`, and without the ones the policy hides (a block either way).
 */
export class UserDirectory {
  constructor(
    private readonly db: Executor,
    private readonly urls: MediaUrls,
  ) {}

  async many(viewer: string | null, ids: readonly string[]): Promise<Map<string, User>> {
    const [records, rels] = await Promise.all([
      accounts.findUsersByIds(this.db, ids),
      graph.relations(this.db, viewer, ids),
    ]);
    const users = new Map<string, User>();
    for (const id of ids) {
      const record = records.get(id);
      const rel = rels.get(id);
      const user = record && rel && this.present(viewer, record, rel);
      if (user) users.set(id, user);
    }
    return users;
  }

  /** One user as the viewer sees them, with the viewer's relationship; null when the policy hides them. */
  present(viewer: string | null, record: accounts.UserRecord, rel: graph.Relation): User | null {
    if (!allows('profile', rel)) return null;
    const user = toUser(record, this.urls);
    if (!viewer) return user;
    return {
      ...user,
      relationship: {
        following: rel.following,
        followedBy: rel.followedBy,
        requested: rel.requested,
        blocking: rel.blocking,
        muting: rel.muting,
      },
    };
  }

  async one(viewer: string | null, id: string): Promise<User | null> {
    return (await this.many(viewer, [id])).get(id) ?? null;
  }

  /** The policy's facts for one owner, or null when the owner does not exist. */
  async facts(viewer: string | null, owner: string): Promise<(Facts & graph.Relation) | null> {
    return (await graph.relations(this.db, viewer, [owner])).get(owner) ?? null;
  }
}
