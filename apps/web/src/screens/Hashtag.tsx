import { Link, useParams } from 'wouter';
import { api, ApiError } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { PostGrid } from '../components/PostGrid.js';
import './discovery/discovery.css';

function decoded(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Every public post with one hashtag (`/tags/:name`), newest first. */
export function Hashtag() {
  const params = useParams<{ name: string }>();
  // Tags are stored lower-case without the #; links may carry either.
  const name = decoded(params.name ?? '')
    .replace(/^#/, '')
    .toLowerCase();
  const posts = usePaged(
    ['hashtag', name],
    (cursor) => api.hashtagPosts(name, cursor),
    (page) => page.posts,
  );

  const invalid = posts.error instanceof ApiError && posts.error.status === 400;

  return (
    <div className="hashtag-screen">
      <div className="page-header">
        <h1>#{name}</h1>
      </div>
      {invalid ? (
        <EmptyState title="This is not a hashtag">
          <p className="muted">
            Hashtags are letters, digits and underscores, like #sunset. <Link href="/search">Search</Link>{' '}
            instead.
          </p>
        </EmptyState>
      ) : posts.isPending ? (
        <Loading />
      ) : posts.isError && !posts.data ? (
        <ErrorNotice error={posts.error} onRetry={() => void posts.refetch()} />
      ) : posts.items.length === 0 ? (
        <EmptyState title={`No posts with #${name} yet`}>
          <p className="muted">
            Be the first: add #{name} to a caption when you <Link href="/new">share a photo</Link>.
          </p>
        </EmptyState>
      ) : (
        <>
          <PostGrid posts={posts.items} label={`Posts with #${name}`} />
          <LoadMore query={posts} />
        </>
      )}
    </div>
  );
}
