import type { Comment, Post } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../../api/index.js';
import { Avatar } from '../../components/Avatar.js';
import { RichText } from '../../components/Caption.js';
import { CloseIcon } from '../../components/icons.js';
import { toast } from '../../components/Toasts.js';
import { patchCachedPost } from '../../components/useEngagement.js';
import { humanError } from '../../lib/errors.js';
import { fullTime, shortAge } from '../../lib/time.js';

/** One comment: who, what (with linked #tags and @mentions), when, and delete when allowed. */
export function CommentItem({
  comment,
  post,
  canDelete,
  onDeleted,
}: {
  comment: Comment;
  post: Post;
  canDelete: boolean;
  onDeleted: () => void;
}) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const author = comment.author;

  async function remove() {
    if (!window.confirm('Delete this comment?')) return;
    setBusy(true);
    try {
      await api.deleteComment(comment.id);
      onDeleted();
      const current = queryClient.getQueryData<Post>(['post', post.id]) ?? post;
      patchCachedPost(queryClient, post.id, { commentCount: Math.max(0, current.commentCount - 1) });
      toast('Comment deleted.');
    } catch (error) {
      toast(humanError(error), 'error');
      setBusy(false);
    }
  }

  return (
    <li className="comment">
      <Link href={`/u/${author.username}`} className="comment-avatar" tabIndex={-1} aria-hidden>
        <Avatar user={author} size={32} />
      </Link>
      <div className="comment-main">
        <p className="comment-body">
          <Link href={`/u/${author.username}`} className="caption-author">
            {author.username}
          </Link>{' '}
          <RichText text={comment.body} />
        </p>
        <time className="muted small" dateTime={comment.createdAt} title={fullTime(comment.createdAt)}>
          {shortAge(comment.createdAt)}
        </time>
      </div>
      {canDelete && (
        <button
          type="button"
          className="icon-button comment-delete"
          aria-label="Delete comment"
          title="Delete comment"
          disabled={busy}
          onClick={() => void remove()}
        >
          <CloseIcon />
        </button>
      )}
    </li>
  );
}
