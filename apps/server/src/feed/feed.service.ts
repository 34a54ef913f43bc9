import type { PostsPage } from '@glimpse/contract';
import type { Logger } from 'pino';
import { decodeCursor, paginate } from '../lib/cursor.js';
import type { HydratedRow, PostHydrator } from '../posts/hydrate.js';
import { OVERFETCH } from './fanout.js';
import * as repo from './feed.repo.js';
import type { FeedDeps, FeedWriter } from './feed.writer.js';
import { mergeNewestFirst } from './merge.js';

type Fallback = 'missing' | 'stale' | 'redis_down';

/**
 * GET /feed. The page comes from the reader's timeline merged with the lists of the
 * celebrities they follow, filtered by the policy and hydrated in one statement (two in all,
 * with the reader's state). When a timeline cannot be trusted (missing, never read, idle past
 * FEED_ACTIVE_DAYS) or Redis is down, the page comes from PostgreSQL instead, and the lists are
 * rebuilt behind it.
 */
export class FeedService {
  /** Rebuilds in flight in this process, so a burst of reads starts one each. */
  readonly #repairs = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: FeedDeps,
    private readonly writer: FeedWriter,
    private readonly hydrator: PostHydrator,
    private readonly log: Logger,
  ) {}

  async page(viewer: string, options: { limit: number; cursor?: string }): Promise<PostsPage> {
    const started = performance.now();
    const { db, metrics, settings } = this.deps;
    const before = decodeCursor(options.cursor);
    const state = await repo.readerState(db, viewer, settings.activeDays);
    let fallback: Fallback = 'stale';
    if (!state.stale) {
      try {
        const read = await this.#fromTimelines(viewer, state.pulled, before, options.limit);
        if (Array.isArray(read)) {
          metrics.feedReadSeconds.observe({ source: 'timeline' }, (performance.now() - started) / 1000);
          return answer(read, options.limit);
        }
        fallback = 'missing';
        this.#repair(read.missing);
      } catch (err) {
        fallback = 'redis_down';
        this.log.warn({ err }, 'timelines unavailable; serving the feed from the database');
      }
    } else {
      this.#repair([{ home: viewer }]);
    }
    metrics.feedFallbacks.inc({ reason: fallback });
    const rows = await this.hydrator.select(
      viewer,
      repo.feedFromPosts(viewer, { before, limit: options.limit + 1 }),
    );
    metrics.feedReadSeconds.observe({ source: 'database' }, (performance.now() - started) / 1000);
    return answer(rows, options.limit);
  }

  /**
   * Up to limit + 1 visible rows, newest first and hydrated, or the lists that are missing.
   * Candidates the viewer can no longer see are dropped, so a round may come up short; the next
   * round reads further back, twice as many, until the page is full or the lists run out.
   */
  async #fromTimelines(
    viewer: string,
    pulled: readonly string[],
    before: string | undefined,
    limit: number,
  ): Promise<HydratedRow[] | { missing: Missing[] }> {
    const { home, authors } = this.deps;
    const out: HydratedRow[] = [];
    let fetch = (limit + 1) * OVERFETCH;
    for (let from = before; ;) {
      const range = { before: from, limit: fetch };
      const [mine, theirs] = await Promise.all([
        home.rangeMany([viewer], range),
        pulled.length > 0 ? authors.rangeMany(pulled, range) : new Map<string, string[] | null>(),
      ]);
      const missing: Missing[] = [
        ...(mine.get(viewer) ? [] : [{ home: viewer }]),
        ...pulled.filter((a) => !theirs.get(a)).map((author) => ({ author })),
      ];
      if (missing.length > 0) return { missing };
      const lists = [mine.get(viewer)!, ...pulled.map((a) => theirs.get(a)!)];
      const candidates = mergeNewestFirst(lists, fetch);
      // Candidates are newest first, as the statement orders the rows it keeps.
      if (candidates.length > 0)
        out.push(
          ...(await this.hydrator.select(viewer, repo.feedRows(viewer, candidates, limit + 1 - out.length))),
        );
      // Every list ran out before `fetch`, and the merge kept all they held (short lists can
      // still add up to more than `fetch` together).
      const exhausted = lists.every((l) => l.length < fetch) && candidates.length < fetch;
      if (out.length > limit || exhausted || candidates.length === 0) return out;
      from = candidates.at(-1);
      fetch *= 2;
    }
  }

  /** Rebuilds the given lists in the background; a failure only means the next read tries again. */
  #repair(lists: readonly Missing[]): void {
    for (const list of lists) {
      const key = 'home' in list ? `home:${list.home}` : `author:${list.author}`;
      if (this.#repairs.has(key)) continue;
      const run = (
        'home' in list ? this.writer.rebuildHome(list.home) : this.writer.rebuildAuthor(list.author)
      )
        .catch((err: unknown) => this.log.warn({ err, list: key }, 'timeline rebuild failed'))
        .finally(() => this.#repairs.delete(key));
      this.#repairs.set(key, run);
    }
  }

  /** Waits for the background rebuilds this process started (tests use it to observe them). */
  async settle(): Promise<void> {
    await Promise.all(this.#repairs.values());
  }
}

type Missing = { home: string } | { author: string };

/** The page and its cursor; a post whose author the policy hides still counts for the cursor. */
function answer(rows: readonly HydratedRow[], limit: number): PostsPage {
  const { page, nextCursor } = paginate(rows, limit, (r) => r.row.id);
  return { posts: page.flatMap((r) => (r.post ? [r.post] : [])), nextCursor };
}
