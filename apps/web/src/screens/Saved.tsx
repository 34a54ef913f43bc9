import { api } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { BookmarkIcon } from '../components/icons.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { PostGrid } from '../components/PostGrid.js';
import { useMe } from '../session.js';
import { ListHeader } from './profile/ListHeader.js';
import './profile/profile.css';

/** `/saved`: the posts I bookmarked, newest save first. Only I can see this list. */
export function Saved() {
  const me = useMe();
  const query = usePaged(
    ['saved'],
    (cursor) => api.saved(cursor),
    (page) => page.posts,
  );
  const header = (
    <ListHeader title="Saved" back={`/u/${me.username}`} backLabel="Back to your profile">
      <p className="muted small">Only you can see what you have saved.</p>
    </ListHeader>
  );
  let body;
  if (query.isPending) body = <Loading />;
  else if (query.isError && !query.data)
    body = <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  else if (query.items.length === 0)
    body = (
      <EmptyState title="Save posts to see them here">
        <p className="muted saved-hint">
          Tap the bookmark <BookmarkIcon /> under a photo to keep it here for later.
        </p>
      </EmptyState>
    );
  else
    body = (
      <>
        <PostGrid posts={query.items} label="Saved posts" />
        <LoadMore query={query} />
      </>
    );
  return (
    <>
      {header}
      {body}
    </>
  );
}
