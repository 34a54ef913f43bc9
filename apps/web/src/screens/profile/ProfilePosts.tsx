import type { User } from '@glimpse/contract';
import { Link } from 'wouter';
import { api } from '../../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../../components/Paged.js';
import { PostGrid } from '../../components/PostGrid.js';
import { ApiError } from '../../api/index.js';
import { PrivateNotice } from './PrivateNotice.js';

/** The profile's grid of thumbs, newest first, loading more as it scrolls. */
export function ProfilePosts({ user, mine }: { user: User; mine: boolean }) {
  const query = usePaged(
    ['userPosts', user.id],
    (cursor) => api.userPosts(user.id, cursor),
    (page) => page.posts,
  );
  if (query.isPending) return <Loading />;
  // The account turned private (or stopped being followed) since the profile loaded.
  if (query.isError && !query.data && query.error instanceof ApiError && query.error.status === 404)
    return <PrivateNotice />;
  if (query.isError && !query.data)
    return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  if (query.items.length === 0)
    return mine ? (
      <EmptyState title="No posts yet">
        <p className="muted">Photos you share show up here.</p>
        <Link href="/new" className="button-link primary-link">
          Share your first photo
        </Link>
      </EmptyState>
    ) : (
      <EmptyState title="No posts yet" />
    );
  return (
    <>
      <PostGrid posts={query.items} label={`Posts by ${user.username}`} />
      <LoadMore query={query} />
    </>
  );
}
