import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Cursor } from '../api/index.js';
import { ErrorNotice } from './ErrorNotice.js';

interface Page {
  nextCursor: string | null;
}

/** A cursor-paged list (API.md's `nextCursor`), flattened by `pick`. */
export function usePaged<P extends Page, T>(
  key: QueryKey,
  fetchPage: (cursor: Cursor) => Promise<P>,
  pick: (page: P) => T[],
) {
  const query = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = query.data?.pages.flatMap(pick) ?? [];
  return { ...query, items };
}

/**
 * The end of a paged list: fetches the next page as it comes within a screen of view, with a
 * button for keyboards and for when the observer is not enough, and the error if a page failed.
 */
export function LoadMore({
  query,
}: {
  query: Pick<
    ReturnType<typeof usePaged>,
    'hasNextPage' | 'isFetchingNextPage' | 'fetchNextPage' | 'isFetchNextPageError' | 'error'
  >;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isFetchNextPageError } = query;

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage || isFetchNextPageError) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: '1200px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, isFetchNextPageError]);

  if (isFetchNextPageError) return <ErrorNotice error={query.error} onRetry={() => void fetchNextPage()} />;
  if (!hasNextPage) return null;
  return (
    <div ref={sentinel} className="load-more">
      <button type="button" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
        {isFetchingNextPage ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
