import type { Notification } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/index.js';
import { EmptyState, ErrorNotice, Loading } from '../components/ErrorNotice.js';
import { UNREAD_KEY } from '../components/NotificationsBadge.js';
import { LoadMore, usePaged } from '../components/Paged.js';
import { toast } from '../components/Toasts.js';
import { humanError } from '../lib/errors.js';
import { NotificationRow } from './notifications/NotificationRow.js';
import './notifications/notifications.css';

/**
 * My notifications, newest first. Seeing the newest page marks everything up to its first row
 * read (the badge drops to zero), while the rows that were unread on arrival stay highlighted
 * until I leave, so I can still tell what is new.
 */
export function Notifications() {
  const queryClient = useQueryClient();
  const list = usePaged(
    ['notifications', 'list'],
    (cursor) => api.notifications(cursor),
    (page) => page.notifications,
  );
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const markedUpTo = useRef<string | null>(null);
  const newest = list.items[0]?.id;

  useEffect(() => {
    const unread = list.items.filter((n) => !n.read && !fresh.has(n.id));
    if (unread.length > 0) setFresh((previous) => new Set([...previous, ...unread.map((n) => n.id)]));
  }, [list.items, fresh]);

  useEffect(() => {
    if (!newest || markedUpTo.current === newest) return;
    markedUpTo.current = newest;
    api
      .markRead(newest)
      .then(() => queryClient.setQueryData(UNREAD_KEY, 0))
      .catch((error: unknown) => toast(`Could not mark notifications read. ${humanError(error)}`, 'error'));
  }, [newest, queryClient]);

  return (
    <div className="notifications-screen">
      <div className="page-header">
        <h1>Notifications</h1>
      </div>
      {list.isPending ? (
        <Loading />
      ) : list.isError && !list.data ? (
        <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />
      ) : list.items.length === 0 ? (
        <EmptyState title="No notifications yet">
          <p className="muted">
            Likes, comments and new followers show up here. <Link href="/search">Find people</Link> to follow.
          </p>
        </EmptyState>
      ) : (
        <>
          <ul className="notification-list" aria-label="Notifications list">
            {list.items.map((n: Notification) => (
              <NotificationRow key={n.id} notification={n} unread={!n.read || fresh.has(n.id)} />
            ))}
          </ul>
          <LoadMore query={list} />
        </>
      )}
    </div>
  );
}
