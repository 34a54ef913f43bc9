import type { Logger } from 'pino';
import type { FeedSettings } from '../config.js';
import type { Executor } from '../db/executor.js';
import type { FeedMode } from '../db/schema.js';
import type { Metrics } from '../observability/metrics.js';
import type { TimelineStore } from '../ports/timeline-store.js';
import { nextMode } from './fanout.js';
import * as repo from './feed.repo.js';

/**
 * Entries per push call. Invariant: at least FEED_FANOUT_BATCH, so a one-post fan-out page is
 * one call; bounded so a demotion (many posts per follower) never builds a huge command.
 */
const MAX_ENTRIES_PER_PUSH = 10_000;

/**
 * Fan-out writes one job keeps in flight. Invariant: small (each is up to one batch of
 * timelines in one command), but more than one, so that reading the next followers page and
 * building its command overlap Redis running the previous ones.
 */
const PUSHES_IN_FLIGHT = 4;

export interface FeedDeps {
  readonly db: Executor;
  /** Home timelines, one per reader (`feed:{userId}`). */
  readonly home: TimelineStore;
  /** Recent posts of authors in pull mode (`posts:{authorId}`). */
  readonly authors: TimelineStore;
  readonly settings: FeedSettings;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/**
 * Everything that writes timelines. Every method is idempotent and safe to re-run after a
 * crash at any point: lists are sets, and a list that exists is always complete because
 * pushes reach lists being rebuilt (see ports/timeline-store.ts). Reads filter by the policy
 * anyway, so these keep timelines small and fast; they never decide what a reader may see.
 */
export class FeedWriter {
  readonly #d: FeedDeps;

  constructor(deps: FeedDeps) {
    this.#d = deps;
  }

  /** Read-your-writes: the author's own timeline, right after the publishing transaction. */
  async ownPosts(posts: readonly { id: string; author_id: string }[]): Promise<void> {
    if (posts.length === 0) return;
    await this.#d.home.push(
      posts.map((p) => ({ timelineId: p.author_id, postId: p.id })),
      this.#d.settings.timelineCap,
    );
  }

  /** A reader's timeline from PostgreSQL. Pushes arriving meanwhile land in it. */
  async rebuildHome(viewer: string): Promise<void> {
    const { home, db, settings } = this.#d;
    await home.beginRebuild(viewer);
    await home.completeRebuild(
      viewer,
      await repo.timelineIds(db, viewer, settings.timelineCap),
      settings.timelineCap,
    );
  }

  /** A pull-mode author's own list from PostgreSQL. */
  async rebuildAuthor(authorId: string): Promise<void> {
    const { authors, db, settings } = this.#d;
    await authors.beginRebuild(authorId);
    await authors.completeRebuild(
      authorId,
      await repo.recentPostIds(db, authorId, settings.timelineCap),
      settings.timelineCap,
    );
  }

  /** `post.published`: the author's timeline, then their list or their followers' timelines. */
  async fanOut(postId: string): Promise<void> {
    const { db, authors, settings, metrics } = this.#d;
    const subject = await repo.fanoutSubject(db, postId);
    if (!subject?.live) return;
    const { authorId } = subject;
    await this.ownPosts([{ id: postId, author_id: authorId }]);
    let mode = await this.#settleMode(authorId, subject.mode, subject.followers);
    if (mode !== 'push') await authors.push([{ timelineId: authorId, postId }], settings.timelineCap);
    if (mode === 'pull') {
      // A demotion that started after the mode was read has already listed the author's posts
      // and may have missed this one: then pushing it is this job's duty.
      mode = (await repo.authorMode(db, authorId)) ?? 'pull';
      if (mode === 'pull') return;
    }
    await this.#pushToFollowers(authorId, [postId]);
    if (subject.publishedAt)
      metrics.feedFanoutLag.observe((Date.now() - subject.publishedAt.getTime()) / 1000);
  }

  /** `post.deleted`: out of every list that may hold it (reads already hide it). */
  async retract(postId: string, authorId: string): Promise<void> {
    const { db, home, authors, settings } = this.#d;
    await Promise.all([
      home.remove([{ timelineId: authorId, postId }]),
      authors.remove([{ timelineId: authorId, postId }]),
    ]);
    // A pull-mode author's posts since promotion are in no follower's timeline; older ones may
    // be, but reads hide them, and walking a celebrity's million followers is not worth it.
    if ((await repo.authorMode(db, authorId)) === 'pull') return;
    let after: string | undefined;
    do {
      const page = await repo.followersPage(db, authorId, { after, limit: settings.fanoutBatch });
      await home.remove(page.ids.map((timelineId) => ({ timelineId, postId })));
      after = page.next ?? undefined;
    } while (after);
  }

  /**
   * A graph change between a reader and an author: bring the author's posts into the
   * reader's timeline if they now belong there, or take them out. Removal re-checks after
   * removing, so a follow (or unmute) committed meanwhile is never undone by a stale job.
   */
  async reconcile(viewer: string, authorId: string): Promise<void> {
    const { db, home, settings } = this.#d;
    if (await repo.belongsInFeed(db, viewer, authorId)) return this.#backfill(viewer, authorId);
    const ids = await repo.recentPostIds(db, authorId, settings.timelineCap);
    await home.remove(ids.map((postId) => ({ timelineId: viewer, postId })));
    if (await repo.belongsInFeed(db, viewer, authorId)) await this.#backfill(viewer, authorId);
  }

  async #backfill(viewer: string, authorId: string): Promise<void> {
    const { db, home, settings, metrics } = this.#d;
    // Readers merge a pull-mode author's list themselves.
    if ((await repo.authorMode(db, authorId)) === 'pull') return;
    const ids = await repo.recentPostIds(db, authorId, settings.backfillPosts);
    await home.push(
      ids.map((postId) => ({ timelineId: viewer, postId })),
      settings.timelineCap,
    );
    metrics.feedTimelineWrites.inc(ids.length);
  }

  /**
   * Moves the author between push and pull when their follower count says so (hysteresis in
   * fanout.ts) and returns the mode this post goes out in. Each step is a compare-and-set, so
   * concurrent jobs for the same author agree; a crash mid-way is finished by the next post.
   */
  async #settleMode(authorId: string, mode: FeedMode, followers: number): Promise<FeedMode> {
    const { db, log, settings } = this.#d;
    const target = nextMode(mode, followers, settings.celebrityFollowers);
    if (target === 'pull' && mode !== 'pull') {
      // Flip first, then list: a post committed after the list was read is published in pull
      // mode by its own job, one committed before is in the list.
      await repo.switchMode(db, authorId, mode, 'pull');
      log.info({ authorId, followers }, 'author moved to pull mode');
      await this.rebuildAuthor(authorId);
      return (await repo.authorMode(db, authorId)) ?? 'pull';
    }
    if (target === 'demoting') {
      if (mode === 'pull') await repo.switchMode(db, authorId, 'pull', 'demoting');
      await this.#demote(authorId);
      return (await repo.authorMode(db, authorId)) ?? 'push';
    }
    return mode;
  }

  /**
   * Pull → push. While `demoting`, readers still merge the author's list; the author's recent
   * posts are pushed to every active follower, and only then does push resume. Posts
   * published meanwhile go both ways.
   */
  async #demote(authorId: string): Promise<void> {
    const { db, authors, log, settings } = this.#d;
    const ids = await repo.recentPostIds(db, authorId, settings.timelineCap);
    await this.#pushToFollowers(authorId, ids);
    if (await repo.switchMode(db, authorId, 'demoting', 'push')) {
      await authors.drop([authorId]);
      log.info({ authorId, posts: ids.length }, 'author back to push mode');
    }
  }

  /**
   * Keyset pages of active followers, one pipelined write per page. Pages are read one after
   * the other (keyset), but up to PUSHES_IN_FLIGHT writes run while the next pages are read,
   * so PostgreSQL, this process and Redis work side by side. The job ends when every write has.
   */
  async #pushToFollowers(authorId: string, postIds: readonly string[]): Promise<void> {
    const { db, home, settings, metrics } = this.#d;
    if (postIds.length === 0) return;
    const inFlight = new Set<Promise<void>>();
    let failed: unknown = null;
    let after: string | undefined;
    do {
      const page = await repo.followersPage(db, authorId, {
        after,
        limit: settings.fanoutBatch,
        activeDays: settings.activeDays,
      });
      const entries = page.ids.flatMap((timelineId) => postIds.map((postId) => ({ timelineId, postId })));
      // A demotion pushes hundreds of posts per follower: keep each command a sane size.
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_PUSH) {
        const write = home
          .push(entries.slice(i, i + MAX_ENTRIES_PER_PUSH), settings.timelineCap)
          .catch((err: unknown) => void (failed ??= err))
          .finally(() => inFlight.delete(write));
        inFlight.add(write);
        if (inFlight.size >= PUSHES_IN_FLIGHT) await Promise.race(inFlight);
      }
      if (failed) break;
      metrics.feedTimelineWrites.inc(entries.length);
      after = page.next ?? undefined;
    } while (after);
    await Promise.all(inFlight);
    if (failed) throw failed;
  }
}
