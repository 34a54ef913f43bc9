import type { Post } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/index.js';
import { humanError } from '../lib/errors.js';
import { toast } from './Toasts.js';

type Patch = Partial<Pick<Post, 'likedByMe' | 'likeCount' | 'savedByMe'>>;

/**
 * Like and save with optimistic updates: the heart fills at once, the request follows, and an
 * error puts it back and says why. The last click wins: a request answered after a newer click
 * is ignored. Every cached copy of the post (feed, profile, post page) gets the server's answer.
 */
export function useEngagement(post: Post) {
  const queryClient = useQueryClient();
  const [state, setState] = useState({
    likedByMe: post.likedByMe,
    likeCount: post.likeCount,
    savedByMe: post.savedByMe,
  });
  const generation = useRef(0);

  useEffect(() => {
    setState({ likedByMe: post.likedByMe, likeCount: post.likeCount, savedByMe: post.savedByMe });
  }, [post.likedByMe, post.likeCount, post.savedByMe]);

  const spread = (patch: Patch) => patchCachedPost(queryClient, post.id, patch);

  async function toggleLike() {
    const before = state;
    const liked = !before.likedByMe;
    const mine = ++generation.current;
    setState({ ...before, likedByMe: liked, likeCount: Math.max(0, before.likeCount + (liked ? 1 : -1)) });
    try {
      const answer = liked ? await api.like(post.id) : await api.unlike(post.id);
      if (mine === generation.current) spread(answer);
    } catch (error) {
      if (mine === generation.current) setState(before);
      toast(humanError(error), 'error');
    }
  }

  async function toggleSave() {
    const before = state;
    const mine = ++generation.current;
    setState({ ...before, savedByMe: !before.savedByMe });
    try {
      const answer = before.savedByMe ? await api.unsave(post.id) : await api.save(post.id);
      if (mine === generation.current) spread(answer);
      void queryClient.invalidateQueries({ queryKey: ['saved'] });
      toast(answer.savedByMe ? 'Saved.' : 'Removed from saved.');
    } catch (error) {
      if (mine === generation.current) setState(before);
      toast(humanError(error), 'error');
    }
  }

  return { ...state, toggleLike, toggleSave };
}

type QueryClient = ReturnType<typeof useQueryClient>;

/** Rewrites the posts of every cached paged list that holds post `id` (feed, profile, hashtag, saved, ...). */
function editPostLists(queryClient: QueryClient, id: string, edit: (posts: Post[]) => Post[]): void {
  queryClient.setQueriesData<unknown>({}, (data: unknown) => {
    if (!data || typeof data !== 'object' || !('pages' in data)) return data;
    const paged = data as { pages: { posts?: Post[] }[] };
    if (!Array.isArray(paged.pages) || !paged.pages.some((page) => page.posts?.some((p) => p.id === id)))
      return data;
    return {
      ...paged,
      pages: paged.pages.map((page) => (page.posts ? { ...page, posts: edit(page.posts) } : page)),
    };
  });
}

/** Applies `patch` to post `id` wherever it sits in the cache: single posts and paged lists. */
export function patchCachedPost(queryClient: QueryClient, id: string, patch: Partial<Post>): void {
  const apply = (p: Post) => (p.id === id ? { ...p, ...patch } : p);
  editPostLists(queryClient, id, (posts) => posts.map(apply));
  queryClient.setQueryData<Post>(['post', id], (post) => post && apply(post));
}

/** Drops post `id` from every cached list and forgets the single copy (after a delete). */
export function dropCachedPost(queryClient: QueryClient, id: string): void {
  editPostLists(queryClient, id, (posts) => posts.filter((p) => p.id !== id));
  queryClient.removeQueries({ queryKey: ['post', id] });
}
