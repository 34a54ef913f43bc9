import { sql } from 'kysely';
import type { Executor } from '../db/executor.js';
import { visibleTo } from '../graph/visibility.sql.js';

/**
 * Explore: popular recent public posts. A periodic job (search.worker.ts) scores the posts of
 * the last EXPLORE_WINDOW_HOURS into a new generation of `explore_ranking`; requests only read
 * a generation, so a request never scores anything.
 *
 *   score = (likes + 2 × comments + 1) / (age in hours + 2) ^ EXPLORE_GRAVITY
 *
 * Comments cost more effort than likes, so they count double; the +1 lets a new post without
 * engagement still rank by its freshness; the +2 keeps a minutes-old post from dividing by
 * almost nothing. With gravity 1.5 a day-old post needs about 18 times the engagement of a
 * fresh one to stay level (26^1.5 / 2^1.5).
 */
export const EXPLORE_GRAVITY = 1.5;
/** Older posts are not "recent": they leave explore however popular they were. */
export const EXPLORE_WINDOW_HOURS = 72;
/** Posts per generation: far more than anyone scrolls, few enough to rewrite every few minutes. */
export const EXPLORE_SIZE = 500;
/**
 * A superseded generation stays this long, so that walks which started on it finish on it
 * without repeats or gaps; a cursor older than that continues in the newest generation.
 */
export const EXPLORE_KEEP_MS = 3_600_000;

const hoursAgo = (hours: number) => sql<Date>`now() - ${hours}::double precision * interval '1 hour'`;

/** The INSERT that fills one generation with the top EXPLORE_SIZE posts, ranked from 1. */
export function exploreRankingInsert(generation: string) {
  return sql`
    INSERT INTO explore_ranking (generation, rank, post_id, score)
    SELECT ${generation}::bigint, row_number() OVER (ORDER BY s.score DESC, s.id DESC), s.id, s.score
      FROM (
        SELECT p.id,
               (p.like_count + 2 * p.comment_count + 1)
                 / power(greatest(extract(epoch FROM now() - p.published_at), 0) / 3600 + 2, ${EXPLORE_GRAVITY}::double precision)
                 AS score
          FROM posts p
          JOIN users u ON u.id = p.author_id
         WHERE p.status = 'published' AND p.deleted_at IS NULL
           AND p.published_at > ${hoursAgo(EXPLORE_WINDOW_HOURS)}
           AND NOT u.is_private
         ORDER BY score DESC, p.id DESC
         LIMIT ${EXPLORE_SIZE}
      ) s`;
}

/** Scores a new generation and forgets the ones nobody can still be paging through. */
export async function recomputeExplore(db: Executor): Promise<{ generation: string; posts: number }> {
  return db.transaction().execute(async (trx) => {
    const { generation } = await trx
      .insertInto('explore_generations')
      .defaultValues()
      .returning('generation')
      .executeTakeFirstOrThrow();
    const inserted = await exploreRankingInsert(generation).execute(trx);
    await trx
      .deleteFrom('explore_generations')
      .where('generation', '<', generation)
      .where(
        'computed_at',
        '<',
        sql<Date>`now() - ${EXPLORE_KEEP_MS}::double precision * interval '1 millisecond'`,
      )
      .execute();
    return { generation, posts: Number(inserted.numAffectedRows ?? 0) };
  });
}

/**
 * The generation to read: the cursor's while it is kept, else the newest. Null before the
 * first recompute.
 */
export async function exploreGeneration(
  db: Executor,
  wanted: string | undefined,
): Promise<{ generation: string; kept: boolean } | null> {
  const row = await db
    .selectFrom('explore_generations')
    .select((eb) => [
      eb.fn.max('generation').as('newest'),
      sql<boolean>`coalesce(bool_or(generation = ${wanted ?? '0'}::bigint), false)`.as('kept'),
    ])
    .executeTakeFirst();
  if (!row?.newest) return null;
  return wanted && row.kept ? { generation: wanted, kept: true } : { generation: row.newest, kept: false };
}

/**
 * One page of a generation for a viewer. The ranking was public when it was computed; the read
 * checks again, so posts deleted since, accounts gone private since, accounts with a block
 * either way and accounts the viewer mutes are left out without leaving holes in the page.
 */
export function explorePageQuery(
  db: Executor,
  options: { generation: string; afterRank: number; viewer: string | null; limit: number },
) {
  const { generation, afterRank, viewer, limit } = options;
  let query = db
    .selectFrom('explore_ranking as e')
    .innerJoin('posts as p', 'p.id', 'e.post_id')
    .innerJoin('users as u', 'u.id', 'p.author_id')
    .select(['e.rank', 'e.post_id'])
    .where('e.generation', '=', generation)
    .where('e.rank', '>', afterRank)
    .where('p.status', '=', 'published')
    .where('p.deleted_at', 'is', null)
    .where('u.is_private', '=', false)
    .where(
      visibleTo('content', { owner: sql.ref('p.author_id'), ownerPrivate: sql.ref('u.is_private'), viewer }),
    );
  if (viewer !== null) {
    query = query.where(
      sql<boolean>`NOT EXISTS (SELECT 1 FROM mutes m WHERE m.muter_id = ${viewer}::bigint AND m.muted_id = p.author_id)`,
    );
  }
  return query.orderBy('e.rank').limit(limit + 1);
}
