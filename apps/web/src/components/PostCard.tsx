import type { Post } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../api/index.js';
import { humanError } from '../lib/errors.js';
import { fullTime, plural, shortAge } from '../lib/time.js';
import { useSession } from '../session.js';
import { Avatar } from './Avatar.js';
import { RichText } from './Caption.js';
import { Carousel } from './Carousel.js';
import { BookmarkIcon, CommentIcon, HeartIcon, MoreIcon } from './icons.js';
import { toast } from './Toasts.js';
import { dropCachedPost, useEngagement } from './useEngagement.js';

/** A post as the feed and the post page show it. `eager` for the first one on screen. */
export function PostCard({
  post,
  eager = false,
  onPostPage = false,
}: {
  post: Post;
  eager?: boolean;
  onPostPage?: boolean;
}) {
  const { me } = useSession();
  const engagement = useEngagement(post);
  const [, navigate] = useLocation();
  const href = `/p/${post.id}`;
  const author = post.author;

  return (
    <article className="post-card" aria-labelledby={`post-${post.id}-author`}>
      <header className="post-head">
        <Link href={`/u/${author.username}`} className="post-author" id={`post-${post.id}-author`}>
          <Avatar user={author} size={32} />
          <strong>{author.username}</strong>
        </Link>
        <span className="muted" aria-hidden>
          •
        </span>
        <Link href={href} className="muted post-age">
          <time dateTime={post.createdAt} title={fullTime(post.createdAt)}>
            {shortAge(post.createdAt)}
          </time>
        </Link>
        {post.location && <span className="post-location muted">{post.location}</span>}
        {me?.id === author.id && <OwnPostMenu post={post} onDeleted={() => onPostPage && navigate('/')} />}
      </header>
      {post.status !== 'published' && (
        <p className="post-status" role="status">
          {post.status === 'failed'
            ? 'This post could not be published: a photo failed to process.'
            : 'Processing your photos. Only you can see this post until it is published.'}
        </p>
      )}
      <Carousel post={post} eager={eager} />
      <div className="post-actions">
        {me ? (
          <>
            <button
              type="button"
              className={`icon-button ${engagement.likedByMe ? 'is-liked' : ''}`}
              aria-pressed={engagement.likedByMe}
              aria-label="Like"
              onClick={() => void engagement.toggleLike()}
            >
              <HeartIcon filled={engagement.likedByMe} />
            </button>
            <Link href={`${href}#comments`} className="icon-button" aria-label="Comment">
              <CommentIcon />
            </Link>
            <button
              type="button"
              className="icon-button push-right"
              aria-pressed={engagement.savedByMe}
              aria-label="Save"
              onClick={() => void engagement.toggleSave()}
            >
              <BookmarkIcon filled={engagement.savedByMe} />
            </button>
          </>
        ) : (
          <Link href="/login" className="muted">
            Log in to like or comment
          </Link>
        )}
      </div>
      <div className="post-body">
        {engagement.likeCount > 0 && (
          <Link href={`${href}/likes`} className="post-likes">
            {plural(engagement.likeCount, 'like')}
          </Link>
        )}
        {post.caption && (
          <p className="post-caption">
            <Link href={`/u/${author.username}`} className="caption-author">
              {author.username}
            </Link>{' '}
            <RichText text={post.caption} hashtags={post.hashtags} mentions={post.mentions} />
          </p>
        )}
        {!onPostPage && post.commentCount > 0 && (
          <Link href={`${href}#comments`} className="muted post-comments-link">
            {post.commentCount === 1
              ? 'View 1 comment'
              : `View all ${post.commentCount.toLocaleString()} comments`}
          </Link>
        )}
        {post.editedAt && <span className="muted small">Edited</span>}
      </div>
    </article>
  );
}

function OwnPostMenu({ post, onDeleted }: { post: Post; onDeleted: () => void }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  async function remove() {
    if (!window.confirm('Delete this post? This cannot be undone.')) return;
    setBusy(true);
    try {
      await api.deletePost(post.id);
      toast('Post deleted.');
      // Gone from every list at once rather than after refetches.
      dropCachedPost(queryClient, post.id);
      onDeleted();
    } catch (error) {
      toast(humanError(error), 'error');
      setBusy(false);
    }
  }
  return (
    <details className="menu push-right">
      <summary className="icon-button" aria-label="Post options">
        <MoreIcon />
      </summary>
      <div className="menu-items">
        <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
          Delete post
        </button>
      </div>
    </details>
  );
}
