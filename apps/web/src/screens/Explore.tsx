import { api } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { PostGrid } from '../components/PostGrid.js';
import { TrendingTags } from './discovery/TrendingTags.js';
import './discovery/discovery.css';

/** Trending tags, then popular recent public posts (ranked by the server every few minutes). */
export function Explore() {
  const explore = usePaged(
    ['explore'],
    (cursor) => api.explore(cursor),
    (page) => page.posts,
  );

  return (
    <div className="explore-screen">
      <div className="page-header">
        <h1>Explore</h1>
      </div>
      <TrendingTags quietWhenEmpty />
      {explore.isPending ? (
        <Loading />
      ) : explore.isError && !explore.data ? (
        <ErrorNotice error={explore.error} onRetry={() => void explore.refetch()} />
      ) : explore.items.length === 0 ? (
        <EmptyState title="Nothing to explore yet">
          <p className="muted">Popular posts show up here as people share and like photos.</p>
        </EmptyState>
      ) : (
        <>
          <h2 className="visually-hidden">Popular posts</h2>
          <PostGrid posts={explore.items} label="Popular posts" />
          <LoadMore query={explore} />
        </>
      )}
    </div>
  );
}
