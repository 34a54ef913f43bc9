import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'wouter';
import { api, ApiError } from '../api/index.js';
import { ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { toast } from '../components/Toasts.js';
import { humanError } from '../lib/errors.js';
import { useSession } from '../session.js';
import { BLOCKS_KEY, useBlockedAccount } from './profile/blocked.js';
import { ProfileHeader } from './profile/ProfileHeader.js';
import { ProfilePosts } from './profile/ProfilePosts.js';
import { canSeeContent, PrivateNotice } from './profile/PrivateNotice.js';
import './profile/profile.css';

/** `/u/:username`: the header, then the grid (or why there is none). */
export function Profile() {
  const { username = '' } = useParams<{ username: string }>();
  const { me } = useSession();
  const query = useQuery({ queryKey: ['user', username], queryFn: () => api.lookup(username) });
  const user = query.data;

  const missing = query.error instanceof ApiError && query.error.status === 404;
  const blocked = useBlockedAccount(username, Boolean(me) && missing);

  if (query.isPending || (missing && blocked.isPending && blocked.fetchStatus !== 'idle')) return <Loading />;
  if (query.isError) {
    if (missing) {
      if (blocked.data) return <BlockedProfile id={blocked.data.id} username={blocked.data.username} />;
      return <Unavailable />;
    }
    return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (!user) return <Unavailable />;
  const mine = me?.id === user.id;
  return (
    <div className="profile">
      <ProfileHeader user={user} />
      {canSeeContent(user, me?.id) ? <ProfilePosts user={user} mine={mine} /> : <PrivateNotice />}
    </div>
  );
}

/** Missing, deleted, or blocked on either side: the same words for all, so none is revealed. */
function Unavailable() {
  return (
    <div className="notice">
      <h1>This account is not available</h1>
      <p className="muted">The link may be broken, or the account may have been removed.</p>
    </div>
  );
}

function BlockedProfile({ id, username }: { id: string; username: string }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  async function unblock() {
    setBusy(true);
    try {
      await api.unblock(id);
      await queryClient.invalidateQueries({ queryKey: BLOCKS_KEY });
      toast(`Unblocked ${username}.`);
      await queryClient.invalidateQueries({ queryKey: ['user', username] });
      void queryClient.invalidateQueries({ queryKey: ['feed'] });
    } catch (error) {
      toast(humanError(error), 'error');
      setBusy(false);
    }
  }
  return (
    <div className="notice">
      <h1>{username}</h1>
      <p>You blocked {username}.</p>
      <p className="muted">You cannot see each other&apos;s profile or posts until you unblock them.</p>
      <button type="button" onClick={() => void unblock()} disabled={busy}>
        Unblock
      </button>
    </div>
  );
}
