import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';

/**
 * Trending hashtags: tags used more in the last TRENDING_WINDOW_HOURS than their own usual
 * daily rate over the TRENDING_BASELINE_DAYS before. Recomputed by the periodic job
 * (search.worker.ts) into `trending_hashtags`; requests read that table.
 *
 *   baseline = uses in the baseline days / TRENDING_BASELINE_DAYS
 *   score    = (uses in the window − baseline) / √(baseline + 1)
 *
 * Dividing by √baseline (a Poisson count's spread) ranks by surprise rather than by volume:
 * a tag that is always busy is not trending because it stays busy, and a new tag with a few
 * uses beats an everyday one with a few more. Only published, not deleted posts of public
 * accounts count: what trends must be something anybody can go and look at.
 */
export const TRENDING_WINDOW_HOURS = 24;
export const TRENDING_BASELINE_DAYS = 7;
/** One post is not a trend (and would let anyone put anything on the list). */
export const TRENDING_MIN_POSTS = 2;
/** Rows kept; the API's limit cannot ask for more (contract TRENDING_MAX). */
export const TRENDING_SIZE = 50;

const hoursAgo = (hours: number) => sql<Date>`now() - ${hours}::double precision * interval '1 hour'`;

/** The tags rising now, best first, with their window counts and scores. */
export function trendingQuery() {
  const windowStart = hoursAgo(TRENDING_WINDOW_HOURS);
  const baselineStart = hoursAgo(TRENDING_WINDOW_HOURS + TRENDING_BASELINE_DAYS * 24);
  return sql<{ hashtag_id: string; window_count: number; score: number }>`
    SELECT t.hashtag_id, t.recent::int AS window_count,
           (t.recent - t.before / ${TRENDING_BASELINE_DAYS}::double precision)
             / sqrt(t.before / ${TRENDING_BASELINE_DAYS}::double precision + 1) AS score
      FROM (
        SELECT ph.hashtag_id,
               count(*) FILTER (WHERE p.published_at > ${windowStart}) AS recent,
               count(*) FILTER (WHERE p.published_at <= ${windowStart}) AS before
          FROM posts p
          JOIN users u ON u.id = p.author_id
          JOIN post_hashtags ph ON ph.post_id = p.id
         WHERE p.status = 'published' AND p.deleted_at IS NULL
           AND p.published_at > ${baselineStart}
           AND NOT u.is_private
         GROUP BY ph.hashtag_id
      ) t
     WHERE t.recent >= ${TRENDING_MIN_POSTS}
       AND t.recent > t.before / ${TRENDING_BASELINE_DAYS}::double precision
     ORDER BY score DESC, t.recent DESC, t.hashtag_id
     LIMIT ${TRENDING_SIZE}`;
}

/** Replaces the list in one transaction: readers see the old list or the new one, never a mix. */
export async function recomputeTrending(db: Executor): Promise<{ hashtags: number }> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await trendingQuery().execute(trx);
    await trx.deleteFrom('trending_hashtags').execute();
    if (rows.length > 0) {
      await trx
        .insertInto('trending_hashtags')
        .values(
          rows.map((r, i) => ({
            rank: i + 1,
            hashtag_id: r.hashtag_id,
            window_count: r.window_count,
            score: r.score,
          })),
        )
        .execute();
    }
    return { hashtags: rows.length };
  });
}

export function trendingPageQuery(db: Executor, limit: number) {
  return db
    .selectFrom('trending_hashtags as t')
    .innerJoin('hashtags as h', 'h.id', 't.hashtag_id')
    .select(['h.name', 't.window_count'])
    .orderBy('t.rank')
    .limit(limit);
}
