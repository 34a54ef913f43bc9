import type { Comment, CommentsPage, Post } from '@glimpse/contract';
import { useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../../api/index.js';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.js';
import { LoadMore, usePaged } from '../../components/Paged.js';
import { useSession } from '../../session.js';
import { CommentForm } from './CommentForm.js';
import { CommentItem } from './CommentItem.js';

type Pages = InfiniteData<CommentsPage, string | null>;

/**
 * The thread under a post, oldest first like a conversation. A new comment joins the end at
 * once; when older pages are still unloaded it waits in `mine` so the order stays right.
 */
export function Comments({ post }: { post: Post }) {
  const { me } = useSession();
  const queryClient = useQueryClient();
  const key = ['comments', post.id];
  const query = usePaged(
    key,
    (cursor) => api.comments(post.id, cursor),
    (page) => page.comments,
  );
  const [mine, setMine] = useState<Comment[]>([]);

  // Arriving by a "Comment" link: bring the thread (and the box, when signed in) into view.
  const ready = !query.isPending;
  useEffect(() => {
    if (!ready || window.location.hash !== '#comments') return;
    const section = document.getElementById('comments');
    section?.scrollIntoView({ block: 'start' });
    section?.querySelector('textarea')?.focus({ preventScroll: true });
  }, [ready]);

  function added(comment: Comment) {
    if (query.hasNextPage) setMine((list) => [...list, comment]);
    else
      queryClient.setQueryData<Pages>(key, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((page, i) =>
                i === data.pages.length - 1 ? { ...page, comments: [...page.comments, comment] } : page,
              ),
            }
          : data,
      );
  }

  function removed(id: string) {
    setMine((list) => list.filter((c) => c.id !== id));
    queryClient.setQueryData<Pages>(key, (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((page) => ({
              ...page,
              comments: page.comments.filter((c) => c.id !== id),
            })),
          }
        : data,
    );
  }

  const loaded = new Set(query.items.map((c) => c.id));
  const comments = [...query.items, ...mine.filter((c) => !loaded.has(c.id))];
  const canDelete = (c: Comment) => Boolean(me && (me.id === c.author.id || me.id === post.author.id));

  return (
    <section id="comments" className="comments" aria-labelledby="comments-title">
      <h2 id="comments-title">Comments</h2>
      {query.isPending ? (
        <Loading text="Loading comments…" />
      ) : query.isError && query.items.length === 0 ? (
        <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          {comments.length === 0 && <p className="muted comments-empty">No comments yet.</p>}
          <ul className="comment-list" aria-label="Comments">
            {comments.map((comment) => (
              <CommentItem
                key={comment.id}
                comment={comment}
                post={post}
                canDelete={canDelete(comment)}
                onDeleted={() => removed(comment.id)}
              />
            ))}
          </ul>
          <LoadMore query={query} />
        </>
      )}
      {me ? (
        <CommentForm post={post} onAdded={added} />
      ) : (
        <p className="comments-guest">
          <Link href="/login" className="button-link primary-link">
            Log in to comment
          </Link>
        </p>
      )}
    </section>
  );
}
