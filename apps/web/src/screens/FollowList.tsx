import type { User } from '@glimpse/contract';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'wouter';
import { api, ApiError } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading, NotFound } from '../components/ErrorNotice.js';
import { FollowButton } from '../components/FollowButton.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { UserRow } from '../components/UserRow.js';
import { useSession } from '../session.js';
import { ListHeader } from './profile/ListHeader.js';
import { canSeeContent, PrivateNotice } from './profile/PrivateNotice.js';
import './profile/profile.css';

type List = 'followers' | 'following';

/** `/u/:username/followers` and `/u/:username/following`. */
export function FollowList() {
  const { username = '', list = '' } = useParams<{ username: string; list: string }>();
  const { me } = useSession();
  const query = useQuery({
    queryKey: ['user', username],
    queryFn: () => api.lookup(username),
    enabled: list === 'followers' || list === 'following',
  });
  if (list !== 'followers' && list !== 'following') return <NotFound />;
  const title = list === 'followers' ? 'Followers' : 'Following';
  const header = (
    <ListHeader title={title} back={`/u/${username}`} backLabel={`Back to ${username}`}>
      <p className="muted small">{username}</p>
    </ListHeader>
  );
  if (query.isPending)
    return (
      <>
        {header}
        <Loading />
      </>
    );
  if (query.isError)
    return (
      <>
        {header}
        {query.error instanceof ApiError && query.error.status === 404 ? (
          <NotFound />
        ) : (
          <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
        )}
      </>
    );
  return (
    <>
      {header}
      {canSeeContent(query.data, me?.id) ? (
        <People user={query.data} list={list} meId={me?.id} />
      ) : (
        <PrivateNotice />
      )}
    </>
  );
}

function People({ user, list, meId }: { user: User; list: List; meId: string | undefined }) {
  const query = usePaged(
    [list, user.id],
    (cursor) => (list === 'followers' ? api.followers(user.id, cursor) : api.following(user.id, cursor)),
    (page) => page.users,
  );
  if (query.isPending) return <Loading />;
  if (query.isError && !query.data) {
    if (query.error instanceof ApiError && query.error.status === 404) return <PrivateNotice />;
    return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (query.items.length === 0)
    return (
      <EmptyState title={list === 'followers' ? 'No followers yet' : 'Not following anyone yet'}>
        <p className="muted">
          {list === 'followers'
            ? `People who follow ${user.username} will show up here.`
            : `Accounts ${user.username} follows will show up here.`}
        </p>
      </EmptyState>
    );
  return (
    <>
      <ul className="user-list" aria-label={list === 'followers' ? 'Followers' : 'Following'}>
        {query.items.map((person) => (
          <UserRow key={person.id} user={person}>
            {person.id !== meId && <FollowButton user={person} />}
          </UserRow>
        ))}
      </ul>
      <LoadMore query={query} />
    </>
  );
}
