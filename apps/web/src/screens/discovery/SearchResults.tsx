import type { HashtagCount, Post, SearchPage, SearchType, User } from '@glimpse/contract';
import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api/index.js';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.js';
import { LoadMore } from '../../components/Paged.js';
import { PostGrid } from '../../components/PostGrid.js';
import { UserRow } from '../../components/UserRow.js';
import { plural } from '../../lib/time.js';
import { PANEL_ID, tabId } from './SearchTabs.js';

/**
 * One search's results, paged. Each query text is its own cache entry, so a slow answer for
 * "ca" can never replace the newer one for "cat"; the previous results of the same tab stay
 * (dimmed) while the next ones load instead of flashing empty.
 */
export function SearchResults({ type, q }: { type: SearchType; q: string }) {
  const search = useInfiniteQuery({
    queryKey: ['search', type, q],
    queryFn: ({ pageParam }) => api.search(type, q, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last: SearchPage) => last.nextCursor ?? undefined,
    placeholderData: (previous, previousQuery?: { queryKey: QueryKey }) =>
      previousQuery?.queryKey[1] === type ? previous : undefined,
  });
  const pages = search.data?.pages ?? [];
  const users: User[] = pages.flatMap((page) => page.users ?? []);
  const hashtags: HashtagCount[] = pages.flatMap((page) => page.hashtags ?? []);
  const posts: Post[] = pages.flatMap((page) => page.posts ?? []);
  const count = { users: users.length, hashtags: hashtags.length, posts: posts.length }[type];

  let body;
  if (search.isPending) body = <Loading text="Searching…" />;
  else if (search.isError && !search.isFetchNextPageError)
    body = <ErrorNotice error={search.error} onRetry={() => void search.refetch()} />;
  else if (count === 0)
    body = (
      <p className="page-status" role="status">
        No results for “{q}”
      </p>
    );
  else
    body = (
      <>
        {type === 'users' && (
          <ul className="user-list" aria-label="Accounts">
            {users.map((user) => (
              <UserRow key={user.id} user={user} />
            ))}
          </ul>
        )}
        {type === 'hashtags' && <TagList tags={hashtags} />}
        {type === 'posts' && <PostGrid posts={posts} label="Posts" />}
        <LoadMore query={search} />
      </>
    );

  return (
    <div
      id={PANEL_ID}
      role="tabpanel"
      aria-labelledby={tabId(type)}
      aria-busy={search.isFetching && !search.isFetchingNextPage}
      className={search.isPlaceholderData ? 'search-results is-stale' : 'search-results'}
    >
      {body}
    </div>
  );
}

function TagList({ tags }: { tags: HashtagCount[] }) {
  return (
    <ul className="tag-list" aria-label="Tags">
      {tags.map((tag) => (
        <li key={tag.name}>
          <Link href={`/tags/${encodeURIComponent(tag.name)}`} className="tag-row">
            <span className="tag-mark" aria-hidden>
              #
            </span>
            <span className="tag-names">
              <strong>#{tag.name}</strong>
              <span className="muted small">{plural(tag.postCount, 'post')}</span>
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
