import type { CreatePostBody, Post } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../../api/index.js';
import { toast } from '../../components/Toasts.js';
import { humanError } from '../../lib/errors.js';
import { processingFailure } from '../../lib/files.js';
import { useMe } from '../../session.js';

export type PublishState =
  | { step: 'editing' }
  | { step: 'sending' }
  | { step: 'processing'; postId: string }
  | { step: 'failed'; post: Post; photo: number; message: string };

const POLL_MS = 1000;

/**
 * Shares the draft once, then follows the post from `processing` to `published` (every photo
 * ready) and opens it, or to `failed`, naming the photo that could not be processed.
 */
export function usePublish() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [state, setState] = useState<PublishState>({ step: 'editing' });
  const inFlight = useRef(false);

  const finish = useCallback(
    (post: Post) => {
      queryClient.setQueryData(['post', post.id], post);
      void queryClient.invalidateQueries({ queryKey: ['feed'] });
      void queryClient.invalidateQueries({ queryKey: ['userPosts', me.id] });
      void queryClient.invalidateQueries({ queryKey: ['user', me.username] });
      toast('Your post is live.');
      navigate(`/p/${post.id}`);
    },
    [queryClient, me, navigate],
  );

  const settle = useCallback(
    (post: Post): boolean => {
      if (post.status === 'published') {
        finish(post);
        return true;
      }
      if (post.status === 'failed') {
        const photo = Math.max(
          0,
          post.media.findIndex((m) => m.status === 'failed'),
        );
        const message = processingFailure(post.media[photo]?.error?.code);
        setState({ step: 'failed', post, photo, message });
        inFlight.current = false;
        return true;
      }
      return false;
    },
    [finish],
  );

  const share = useCallback(
    async (body: CreatePostBody) => {
      if (inFlight.current) return; // a double tap shares once
      inFlight.current = true;
      setState({ step: 'sending' });
      try {
        const post = await api.createPost(body);
        if (!settle(post)) setState({ step: 'processing', postId: post.id });
      } catch (error) {
        inFlight.current = false;
        setState({ step: 'editing' });
        toast(humanError(error), 'error');
      }
    },
    [settle],
  );

  const postId = state.step === 'processing' ? state.postId : null;
  useEffect(() => {
    if (!postId) return;
    let stopped = false;
    const timer = setInterval(() => {
      api.post(postId).then(
        (post) => !stopped && settle(post) && clearInterval(timer),
        () => {}, // a missed poll is tried again on the next tick
      );
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [postId, settle]);

  /** Back to the draft after a failure; the failed post is deleted so it does not linger. */
  const backToEditing = useCallback(() => {
    if (state.step === 'failed') void api.deletePost(state.post.id).catch(() => {});
    setState({ step: 'editing' });
  }, [state]);

  return { state, share, backToEditing };
}
