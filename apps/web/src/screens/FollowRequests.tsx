import type { User } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { toast } from '../components/Toasts.js';
import { UserRow } from '../components/UserRow.js';
import { humanError } from '../lib/errors.js';
import { useMe } from '../session.js';
import { ListHeader } from './profile/ListHeader.js';
import './profile/profile.css';

/** `/requests`: people asking to follow my private account; confirm or delete each. */
export function FollowRequests() {
  const me = useMe();
  const queryClient = useQueryClient();
  const query = usePaged(
    ['followRequests'],
    (cursor) => api.followRequests(cursor),
    (page) => page.users,
  );
  // Answered rows leave at once; the next refetch agrees with the server anyway.
  const [answered, setAnswered] = useState<Set<string>>(() => new Set());
  const [busy, setBusy] = useState<string | null>(null);

  async function answer(user: User, approve: boolean) {
    setBusy(user.id);
    try {
      await (approve ? api.approveRequest(user.id) : api.rejectRequest(user.id));
      setAnswered((prev) => new Set(prev).add(user.id));
      toast(approve ? `${user.username} now follows you.` : `Request from ${user.username} deleted.`);
      if (approve) void queryClient.invalidateQueries({ queryKey: ['user', me.username] });
    } catch (error) {
      toast(humanError(error), 'error');
    } finally {
      setBusy(null);
    }
  }

  const header = (
    <ListHeader title="Follow requests" back={`/u/${me.username}`} backLabel="Back to your profile" />
  );
  if (query.isPending)
    return (
      <>
        {header}
        <Loading />
      </>
    );
  if (query.isError && !query.data)
    return (
      <>
        {header}
        <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
      </>
    );
  const pending = query.items.filter((u) => !answered.has(u.id));
  return (
    <>
      {header}
      {pending.length === 0 && !query.hasNextPage ? (
        <EmptyState title="No pending requests">
          <p className="muted">
            {me.isPrivate
              ? 'When someone asks to follow you, you can confirm or delete the request here.'
              : 'Your account is public, so anyone can follow you without asking.'}
          </p>
        </EmptyState>
      ) : (
        <ul className="user-list" aria-label="Follow requests">
          {pending.map((user) => (
            <UserRow key={user.id} user={user}>
              <span className="row-actions">
                <button
                  type="button"
                  className="primary"
                  aria-label={`Confirm ${user.username}`}
                  disabled={busy === user.id}
                  onClick={() => void answer(user, true)}
                >
                  Confirm
                </button>
                <button
                  type="button"
                  aria-label={`Delete ${user.username}`}
                  disabled={busy === user.id}
                  onClick={() => void answer(user, false)}
                >
                  Delete
                </button>
              </span>
            </UserRow>
          ))}
        </ul>
      )}
      <LoadMore query={query} />
    </>
  );
}
