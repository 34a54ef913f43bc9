import type { User } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/index.js';
import { humanError } from '../lib/errors.js';
import { useSession } from '../session.js';
import { toast } from './Toasts.js';

type State = 'none' | 'requested' | 'following';

function stateOf(user: User): State {
  const rel = user.relationship;
  if (rel?.following) return 'following';
  if (rel?.requested) return 'requested';
  return 'none';
}

/**
 * Follow / Requested / Following for one account. A private account turns a follow into a
 * request; "Requested" withdraws it; "Following" asks before unfollowing, because undoing it on
 * a private account means asking again.
 */
export function FollowButton({ user, onChange }: { user: User; onChange?: () => void }) {
  const { me } = useSession();
  const queryClient = useQueryClient();
  const [state, setState] = useState<State>(() => stateOf(user));
  const [busy, setBusy] = useState(false);
  useEffect(() => setState(stateOf(user)), [user]);

  if (!me)
    return (
      <Link href="/login" className="button-link primary-link follow-button">
        Follow
      </Link>
    );
  if (me.id === user.id) return null;
  const myName = me.username;

  async function click() {
    if (state === 'following') {
      const warning = user.isPrivate
        ? `Unfollow ${user.username}? You will have to ask again to see their photos.`
        : `Unfollow ${user.username}?`;
      if (!window.confirm(warning)) return;
    }
    setBusy(true);
    try {
      const answer = state === 'none' ? await api.follow(user.id) : await api.unfollow(user.id);
      setState(answer.status);
      if (answer.status === 'requested') toast(`Request sent. ${user.username} will see it.`);
      // Counts, the relationship and the feed all change with the edge.
      void queryClient.invalidateQueries({ queryKey: ['user', user.username] });
      void queryClient.invalidateQueries({ queryKey: ['user', myName] });
      void queryClient.invalidateQueries({ queryKey: ['feed'] });
      void queryClient.invalidateQueries({ queryKey: ['userPosts', user.id] });
      onChange?.();
    } catch (error) {
      toast(humanError(error), 'error');
    } finally {
      setBusy(false);
    }
  }

  const label = state === 'following' ? 'Following' : state === 'requested' ? 'Requested' : 'Follow';
  return (
    <button
      type="button"
      className={`follow-button ${state === 'none' ? 'primary' : ''}`}
      onClick={() => void click()}
      disabled={busy}
      title={state === 'following' ? 'Unfollow' : state === 'requested' ? 'Cancel the request' : undefined}
    >
      {label}
    </button>
  );
}
