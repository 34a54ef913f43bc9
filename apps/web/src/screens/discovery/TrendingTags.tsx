import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api/index.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { plural } from '../../lib/time.js';

/**
 * Rising hashtags as chips (GET /hashtags/trending); shared by the empty search and Explore.
 * `quietWhenEmpty` leaves out the section when nothing trends (Explore has its grid to show).
 */
export function TrendingTags({
  limit = 10,
  quietWhenEmpty = false,
}: {
  limit?: number;
  quietWhenEmpty?: boolean;
}) {
  const trending = useQuery({ queryKey: ['trending', limit], queryFn: () => api.trending(limit) });

  if (trending.isPending)
    return quietWhenEmpty ? null : (
      <p className="page-status small" role="status">
        Loading trending tags…
      </p>
    );
  if (trending.isError) return <ErrorNotice error={trending.error} onRetry={() => void trending.refetch()} />;
  const tags = trending.data.hashtags;
  if (tags.length === 0 && quietWhenEmpty) return null;
  return (
    <section className="trending" aria-labelledby="trending-heading">
      <h2 id="trending-heading">Trending tags</h2>
      {tags.length === 0 ? (
        <p className="muted small">Nothing is trending right now.</p>
      ) : (
        <ul className="chips">
          {tags.map((tag) => (
            <li key={tag.name}>
              <Link href={`/tags/${encodeURIComponent(tag.name)}`} className="chip">
                #{tag.name}
                <span className="visually-hidden">, {plural(tag.postCount, 'post')}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
