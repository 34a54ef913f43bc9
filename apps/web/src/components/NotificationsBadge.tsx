import { useQuery } from '@tanstack/react-query';
import { UNREAD_COUNT_CAP } from '@glimpse/contract/limits';
import { api } from '../api/index.js';

/** The unread count on the Notifications tab. */
export function useUnreadCount(enabled: boolean): number {
  const query = useQuery({
    queryKey: ['notifications', 'unread'],
    queryFn: async () => (await api.notifications(null, 1)).unreadCount,
    enabled,
  });
  return query.data ?? 0;
}

export function Badge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="badge" data-testid="unread-badge">
      {count >= UNREAD_COUNT_CAP ? `${UNREAD_COUNT_CAP}+` : count}
    </span>
  );
}
