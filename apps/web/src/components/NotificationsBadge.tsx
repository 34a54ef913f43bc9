import { useQuery, useQueryClient } from '@tanstack/react-query';
import { UNREAD_COUNT_CAP } from '@glimpse/contract/limits';
import { useEffect } from 'react';
import { api } from '../api/index.js';
import { openNotificationStream } from '../api/stream.js';

export const UNREAD_KEY = ['notifications', 'unread'] as const;
const LIST_KEY = ['notifications', 'list'] as const;
const TITLE = 'Glimpse';

/**
 * The unread count on the Notifications tab, kept live by the notification stream while signed
 * in: each new notification bumps the cached count at once (no reload, no polling), and the tab
 * title shows it too, for when the tab is in the background.
 */
export function useUnreadCount(enabled: boolean): number {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: UNREAD_KEY,
    queryFn: async () => (await api.notifications(null, 1)).unreadCount,
    enabled,
  });

  useEffect(() => {
    if (!enabled) return;
    return openNotificationStream({
      onNotification: () => {
        // The server counts up to the cap and no further; so does the badge.
        queryClient.setQueryData<number>(UNREAD_KEY, (n) => Math.min((n ?? 0) + 1, UNREAD_COUNT_CAP));
        void queryClient.invalidateQueries({ queryKey: LIST_KEY });
      },
      onReconnect: () => {
        void queryClient.invalidateQueries({ queryKey: UNREAD_KEY });
        void queryClient.invalidateQueries({ queryKey: LIST_KEY });
      },
    });
  }, [enabled, queryClient]);

  const count = enabled ? (query.data ?? 0) : 0;
  useEffect(() => {
    document.title = count > 0 ? `(${shownCount(count)}) ${TITLE}` : TITLE;
  }, [count]);
  return count;
}

export function Badge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="badge" data-testid="unread-badge">
      {shownCount(count)}
    </span>
  );
}

/** The server counts unread up to the cap, so the cap itself means "at least". */
export function shownCount(count: number): string {
  return count >= UNREAD_COUNT_CAP ? `${UNREAD_COUNT_CAP}+` : String(count);
}
