import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/index.js';

/**
 * The accounts I blocked (GET /me/blocks). A blocked profile answers 404 to the blocker too, so
 * the profile screen looks the username up here to offer "Unblock" instead of "not available".
 */
export const BLOCKS_KEY = ['blocks'] as const;

export function useBlockedAccount(username: string, enabled: boolean) {
  const query = useQuery({
    queryKey: [...BLOCKS_KEY, 'lookup', username.toLowerCase()],
    enabled,
    queryFn: async () => {
      // Block lists are short; walk the pages until the name turns up.
      let cursor: string | null = null;
      do {
        const page = await api.blocks(cursor, 100);
        const hit = page.accounts.find((a) => a.username === username.toLowerCase());
        if (hit) return hit;
        cursor = page.nextCursor;
      } while (cursor);
      return null;
    },
  });
  return query;
}
