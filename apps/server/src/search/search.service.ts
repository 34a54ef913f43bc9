import type { HashtagCount, PostsPage, SearchPage, SearchQuery, TrendingPage, User } from '@glimpse/contract';
import type { Executor } from '../db/executor.js';
import type { UserDirectory } from '../graph/user-directory.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import type { PostHydrator } from '../posts/hydrate.js';
import { normaliseHashtag } from '../posts/caption.js';
import { findPosts } from '../posts/posts.repo.js';
import { decodeParts, encodeParts } from './cursors.js';
import { exploreGeneration, explorePageQuery } from './explore.js';
import * as repo from './search.repo.js';
import { trendingPageQuery } from './trending.js';

interface Page {
  readonly limit: number;
  readonly cursor?: string;
}

/** Words of a caption query: what the 'simple' text search configuration would index. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
/** More words than this only narrows an already empty result. */
const MAX_QUERY_WORDS = 10;

/**
 * Discovery (API.md): search, hashtag pages, explore and trending hashtags. Every list is
 * filtered by the visibility policy in SQL (search.repo.ts, explore.ts) and hydrated in a
 * fixed number of queries. A query with nothing searchable left after normalising (`@`, `#`,
 * punctuation only) finds nothing: 200 with an empty list.
 */
export class DiscoveryService {
  constructor(
    private readonly db: Executor,
    private readonly users: UserDirectory,
    private readonly hydrator: PostHydrator,
  ) {}

  async search(viewer: string | null, query: SearchQuery): Promise<SearchPage> {
    const page = { limit: query.limit ?? 20, ...(query.cursor ? { cursor: query.cursor } : {}) };
    switch (query.type) {
      case 'users':
        return this.#users(viewer, query.q.replace(/^@/, '').normalize('NFKC').toLowerCase(), page);
      case 'hashtags':
        return this.#hashtags(normaliseHashtag(query.q.replace(/^#/, '')), page);
      case 'posts':
        return this.#posts(viewer, query.q, page);
    }
  }

  async #users(viewer: string | null, term: string, page: Page): Promise<SearchPage> {
    const after = decodeParts('u', page.cursor, ['int', 'int', 'int', 'id']);
    if (!term) return { users: [], nextCursor: null };
    const { rows } = await repo
      .userSearchQuery({
        term,
        viewer,
        limit: page.limit,
        ...(after && {
          after: {
            tier: Number(after[0]),
            bucket: Number(after[1]),
            followers: Number(after[2]),
            id: after[3]!,
          },
        }),
      })
      .execute(this.db);
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    const found = await this.users.many(
      viewer,
      shown.map((r) => r.id),
    );
    return {
      users: shown.flatMap((r) => found.get(r.id) ?? []) satisfies User[],
      nextCursor:
        rows.length > page.limit && last
          ? encodeParts('u', [last.tier, last.bucket, last.follower_count, last.id])
          : null,
    };
  }

  async #hashtags(term: string, page: Page): Promise<SearchPage> {
    const after = decodeParts('h', page.cursor, ['int', 'int', 'tag']);
    if (!term) return { hashtags: [], nextCursor: null };
    const { rows } = await repo
      .hashtagSearchQuery({
        term,
        limit: page.limit,
        ...(after && { after: { tier: Number(after[0]), count: Number(after[1]), name: after[2]! } }),
      })
      .execute(this.db);
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      hashtags: shown.map((r): HashtagCount => ({ name: r.name, postCount: r.post_count })),
      nextCursor:
        rows.length > page.limit && last ? encodeParts('h', [last.tier, last.post_count, last.name]) : null,
    };
  }

  /** Every word must match; the last one as a prefix, so results follow the typing. */
  async #posts(viewer: string | null, q: string, page: Page): Promise<SearchPage> {
    const before = decodeCursor(page.cursor);
    const words = (q.normalize('NFKC').toLowerCase().match(WORD) ?? []).slice(0, MAX_QUERY_WORDS);
    if (words.length === 0) return { posts: [], nextCursor: null };
    // Words hold letters, marks and digits only, so quoting them cannot inject tsquery syntax.
    const tsquery = words.map((w, i) => `'${w}'${i === words.length - 1 ? ':*' : ''}`).join(' & ');
    const rows = await repo
      .postSearchQuery(this.db, { tsquery, viewer, limit: page.limit, ...(before && { before }) })
      .execute();
    const { posts, nextCursor } = await this.#postsPage(
      viewer,
      rows.map((r) => r.id),
      page.limit,
    );
    return { posts, nextCursor };
  }

  /** Unknown tags are not an error: a tag nobody has used yet simply has no posts. */
  async hashtagPosts(viewer: string | null, name: string, page: Page): Promise<PostsPage> {
    const before = decodeCursor(page.cursor);
    const rows = await repo
      .hashtagPostsQuery(this.db, {
        name: normaliseHashtag(name),
        viewer,
        limit: page.limit,
        ...(before && { before }),
      })
      .execute();
    return this.#postsPage(
      viewer,
      rows.map((r) => r.id),
      page.limit,
    );
  }

  async explore(viewer: string | null, page: Page): Promise<PostsPage> {
    const after = decodeParts('e', page.cursor, ['id', 'int']);
    const current = await exploreGeneration(this.db, after?.[0]);
    if (!current) return { posts: [], nextCursor: null };
    const rows = await explorePageQuery(this.db, {
      generation: current.generation,
      // An expired generation's walk goes on at the same depth of the newest one.
      afterRank: after ? Number(after[1]) : 0,
      viewer,
      limit: page.limit,
    }).execute();
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    const posts = await this.#hydrateInOrder(
      viewer,
      shown.map((r) => r.post_id),
    );
    return {
      posts,
      nextCursor: rows.length > page.limit && last ? encodeParts('e', [current.generation, last.rank]) : null,
    };
  }

  async trending(limit: number): Promise<TrendingPage> {
    const rows = await trendingPageQuery(this.db, limit).execute();
    return { hashtags: rows.map((r) => ({ name: r.name, postCount: r.window_count })) };
  }

  async #postsPage(viewer: string | null, ids: readonly string[], limit: number): Promise<PostsPage> {
    const shown = ids.slice(0, limit);
    return {
      posts: await this.#hydrateInOrder(viewer, shown),
      nextCursor: ids.length > limit ? encodeCursor(shown.at(-1)!) : null,
    };
  }

  async #hydrateInOrder(viewer: string | null, ids: readonly string[]) {
    const rows = await findPosts(this.db, ids);
    const order = new Map(ids.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return this.hydrator.hydrate(viewer, rows);
  }
}
