import type { Post } from '@glimpse/contract';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { PostCard } from '../components/PostCard.js';

/** How often the feed asks whether anything newer arrived (the "New posts" pill). */
const NEW_POSTS_POLL_MS = 30_000;

/** The home feed: newest first, paged as you scroll, with a pill when newer posts arrive. */
export function Feed() {
  const queryClient = useQueryClient();
  const feed = usePaged(
    ['feed'],
    (cursor) => api.feed(cursor),
    (page) => page.posts,
  );
  const newest = feed.items[0]?.id;
  const head = useQuery({
    queryKey: ['feed', 'head'],
    queryFn: async () => (await api.feed(null, 1)).posts[0]?.id ?? null,
    refetchInterval: NEW_POSTS_POLL_MS,
    // Coming back to the tab is when newer posts matter: ask at once.
    refetchOnWindowFocus: 'always',
    enabled: feed.isSuccess,
  });
  const hasNewer = Boolean(head.data && newest && BigInt(head.data) > BigInt(newest));

  if (feed.isPending) return <Loading text="Loading your feed…" />;
  if (feed.isError && !feed.data)
    return <ErrorNotice error={feed.error} onRetry={() => void feed.refetch()} />;

  return (
    <div className="feed">
      <h1 className="visually-hidden">Home</h1>
      {hasNewer && (
        <button
          type="button"
          className="new-posts-pill"
          onClick={() => {
            window.scrollTo({ top: 0, behavior: 'smooth' });
            // Back to one fresh first page, not a re-fetch of every page scrolled so far.
            void queryClient.resetQueries({ queryKey: ['feed'] });
          }}
        >
          New posts
        </button>
      )}
      {feed.items.length === 0 ? (
        <EmptyState title="Your feed is empty">
          <p className="muted">
            Follow people to see their photos here. <Link href="/search">Find people</Link> or{' '}
            <Link href="/explore">explore popular posts</Link>.
          </p>
        </EmptyState>
      ) : (
        feed.items.map((post: Post, i) => <PostCard key={post.id} post={post} eager={i === 0} />)
      )}
      <LoadMore query={feed} />
      {!feed.hasNextPage && feed.items.length > 0 && (
        <p className="muted end-of-list">You are all caught up.</p>
      )}
    </div>
  );
}
