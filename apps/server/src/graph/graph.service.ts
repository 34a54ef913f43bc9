import type { BlocksPage, FollowStatus, User, UsersPage } from '@glimpse/contract';
import type { Executor, Trx } from '../db/executor.js';
import { appendToOutbox, type OutboxEvent } from '../jobs/outbox.js';
import { decodeCursor, paginate } from '../lib/cursor.js';
import { badRequest, notFound } from '../lib/errors.js';
import * as graph from './graph.repo.js';
import type { UserDirectory } from './user-directory.js';
import { allows } from './visibility.js';

/**
 * Follows, follow requests, blocks and mutes. Every edge change and the counters it moves
 * commit together, with the outbox event the feed needs; a block is invisible from the other
 * side (404), never explained.
 */
export class GraphService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
  ) {}

  async profile(viewer: string | null, id: string): Promise<User> {
    const user = await this.users.one(viewer, id);
    if (!user) throw notFound('account');
    return user;
  }

  async lookup(viewer: string | null, username: string): Promise<User> {
    const id = await graph.findUserIdByUsername(this.db, username);
    if (!id) throw notFound('account');
    return this.profile(viewer, id);
  }

  async follow(viewer: string, target: string): Promise<FollowStatus> {
    if (viewer === target) throw badRequest('cannot_follow_self', 'You cannot follow yourself.');
    const facts = await this.users.facts(viewer, target);
    if (!facts || !allows('profile', facts)) throw notFound('account');
    return this.db.transaction().execute(async (trx) => {
      const { state, created } = await graph.insertFollow(
        trx,
        viewer,
        target,
        facts.ownerPublic ? 'accepted' : 'pending',
      );
      if (created) {
        const edge = { followerId: viewer, followeeId: target };
        if (state === 'accepted')
          await graph.adjustFollowCounts(trx, [{ follower: viewer, followee: target }], 1);
        await appendToOutbox(trx, [
          {
            topic: state === 'accepted' ? 'follow.created' : 'follow.requested',
            aggregateId: viewer,
            payload: edge,
          },
        ]);
      }
      return { status: state === 'accepted' ? 'following' : 'requested' };
    });
  }

  /** Unfollows, or withdraws a pending request. Idempotent. */
  async unfollow(viewer: string, target: string): Promise<FollowStatus> {
    if (!(await this.users.facts(viewer, target))) throw notFound('account');
    await this.db.transaction().execute(async (trx) => {
      const removed = await graph.deleteFollows(trx, [{ follower: viewer, followee: target }]);
      await this.#afterRemoval(trx, removed);
    });
    return { status: 'none' };
  }

  async approve(owner: string, requester: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const accepted = await graph.acceptRequests(trx, owner, [requester]);
      if (accepted.length === 0) throw notFound('follow request');
      await graph.adjustFollowCounts(trx, [{ follower: requester, followee: owner }], 1);
      await appendToOutbox(trx, [
        {
          topic: 'follow.accepted',
          aggregateId: requester,
          payload: { followerId: requester, followeeId: owner },
        },
      ]);
    });
  }

  async reject(owner: string, requester: string): Promise<void> {
    const removed = await graph.deleteFollows(this.db, [{ follower: requester, followee: owner }], 'pending');
    if (removed.length === 0) throw notFound('follow request');
  }

  /** Blocking removes follows and requests both ways. */
  async block(viewer: string, target: string): Promise<void> {
    if (viewer === target) throw badRequest('cannot_block_self', 'You cannot block yourself.');
    if (!(await this.users.facts(viewer, target))) throw notFound('account');
    await this.db.transaction().execute(async (trx) => {
      if (!(await graph.insertBlock(trx, viewer, target))) return;
      const removed = await graph.deleteFollows(trx, [
        { follower: viewer, followee: target },
        { follower: target, followee: viewer },
      ]);
      await this.#afterRemoval(trx, removed);
      await appendToOutbox(trx, [
        { topic: 'block.created', aggregateId: viewer, payload: { blockerId: viewer, blockedId: target } },
      ]);
    });
  }

  async unblock(viewer: string, target: string): Promise<void> {
    if (!(await this.users.facts(viewer, target))) throw notFound('account');
    await this.db.transaction().execute(async (trx) => {
      if (await graph.deleteBlock(trx, viewer, target)) {
        await appendToOutbox(trx, [
          { topic: 'block.removed', aggregateId: viewer, payload: { blockerId: viewer, blockedId: target } },
        ]);
      }
    });
  }

  async mute(viewer: string, target: string, on: boolean): Promise<void> {
    if (viewer === target) throw badRequest('cannot_mute_self', 'You cannot mute yourself.');
    const facts = await this.users.facts(viewer, target);
    if (!facts || !allows('profile', facts)) throw notFound('account');
    await this.db.transaction().execute(async (trx) => {
      const changed = on
        ? await graph.insertMute(trx, viewer, target)
        : await graph.deleteMute(trx, viewer, target);
      if (changed) {
        await appendToOutbox(trx, [
          {
            topic: on ? 'mute.created' : 'mute.removed',
            aggregateId: viewer,
            payload: { muterId: viewer, mutedId: target },
          },
        ]);
      }
    });
  }

  /** Followers or following of `owner`, if the viewer may see the owner's lists. */
  async list(
    viewer: string | null,
    owner: string,
    direction: 'followers' | 'following',
    page: { limit: number; cursor?: string },
  ): Promise<UsersPage> {
    const facts = await this.users.facts(viewer, owner);
    if (!facts || !allows('content', facts)) throw notFound('account');
    return this.#page(viewer, {
      of: owner,
      direction,
      viewer,
      limit: page.limit,
      after: decodeCursor(page.cursor),
    });
  }

  async requests(owner: string, page: { limit: number; cursor?: string }): Promise<UsersPage> {
    return this.#page(owner, {
      of: owner,
      direction: 'requests',
      viewer: owner,
      limit: page.limit,
      after: decodeCursor(page.cursor),
    });
  }

  /**
   * The accounts I blocked, so I can unblock them: their profiles answer 404 to me as well, so
   * without this list a block could not be undone. Only the id and username are shown.
   */
  async blocked(owner: string, page: { limit: number; cursor?: string }): Promise<BlocksPage> {
    const rows = await graph.blockedPage(this.db, {
      blocker: owner,
      limit: page.limit,
      ...(page.cursor !== undefined ? { after: decodeCursor(page.cursor) } : {}),
    });
    const { page: accounts, nextCursor } = paginate(rows, page.limit, (r) => r.id);
    return {
      accounts: accounts.map((r) => ({
        id: r.id,
        username: r.username,
        blockedAt: r.blockedAt.toISOString(),
      })),
      nextCursor,
    };
  }

  /** Turning public accepts every waiting request: they asked to see what is now public anyway. */
  async acceptAllRequests(trx: Trx, owner: string): Promise<void> {
    const accepted = await graph.acceptRequests(trx, owner, 'all');
    if (accepted.length === 0) return;
    await graph.adjustFollowCounts(
      trx,
      accepted.map((follower) => ({ follower, followee: owner })),
      1,
    );
    await appendToOutbox(
      trx,
      accepted.map((follower) => ({
        topic: 'follow.accepted' as const,
        aggregateId: follower,
        payload: { followerId: follower, followeeId: owner },
      })),
    );
  }

  async #page(viewer: string | null, query: Parameters<typeof graph.followPage>[1]): Promise<UsersPage> {
    const rows = await graph.followPage(this.db, query);
    const { page, nextCursor } = paginate(rows, query.limit, (r) => r.edgeId);
    const users = await this.users.many(
      viewer,
      page.map((r) => r.userId),
    );
    return { users: page.flatMap((r) => users.get(r.userId) ?? []), nextCursor };
  }

  async #afterRemoval(trx: Trx, removed: Awaited<ReturnType<typeof graph.deleteFollows>>): Promise<void> {
    const accepted = removed.filter((r) => r.state === 'accepted');
    await graph.adjustFollowCounts(
      trx,
      accepted.map((r) => ({ follower: r.follower_id, followee: r.followee_id })),
      -1,
    );
    const events: OutboxEvent[] = accepted.map((r) => ({
      topic: 'follow.removed',
      aggregateId: r.follower_id,
      payload: { followerId: r.follower_id, followeeId: r.followee_id },
    }));
    await appendToOutbox(trx, events);
  }
}
