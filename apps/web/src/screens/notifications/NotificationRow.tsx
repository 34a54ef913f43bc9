import type { Notification, Post } from '@glimpse/contract';
import { Link } from 'wouter';
import { Avatar } from '../../components/Avatar.js';
import { Photo } from '../../components/Photo.js';
import { altTextFor } from '../../lib/images.js';
import { fullTime, shortAge } from '../../lib/time.js';

const EXCERPT_MAX = 80;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_MAX ? `${flat.slice(0, EXCERPT_MAX - 1).trimEnd()}…` : flat;
}

/** What happened, as the words after the actor's name. */
function sentence(n: Notification): string {
  switch (n.type) {
    case 'like':
      return 'liked your post.';
    case 'comment':
      return n.comment ? `commented: “${excerpt(n.comment.body)}”` : 'commented on your post.';
    case 'follow':
      return 'started following you.';
    case 'follow_request':
      return 'asked to follow you.';
    case 'follow_accepted':
      return 'accepted your follow request.';
    case 'mention':
      return n.comment ? 'mentioned you in a comment.' : 'mentioned you in a post.';
  }
}

/** One notification: who, what, when, and the post it is about (or what to do next). */
export function NotificationRow({
  notification: n,
  unread,
}: {
  notification: Notification;
  unread: boolean;
}) {
  return (
    <li className={unread ? 'notification is-unread' : 'notification'}>
      <Avatar user={n.actor} size={44} />
      <p className="notification-text">
        {unread && <span className="visually-hidden">Unread: </span>}
        <Link href={`/u/${n.actor.username}`} className="notification-actor">
          {n.actor.username}
        </Link>{' '}
        {sentence(n)}{' '}
        <time className="muted small" dateTime={n.createdAt} title={fullTime(n.createdAt)}>
          {shortAge(n.createdAt)}
        </time>
      </p>
      {n.type === 'follow_request' ? (
        <Link href="/requests" className="button-link primary-link notification-action">
          See requests
        </Link>
      ) : (
        n.post && <PostThumb post={n.post} />
      )}
      {unread && <span className="unread-dot" aria-hidden />}
    </li>
  );
}

function PostThumb({ post }: { post: Post }) {
  const media = post.media[0];
  if (!media) return null;
  return (
    <Link href={`/p/${post.id}`} className="notification-thumb">
      <Photo
        media={media}
        alt={altTextFor(post, 0)}
        src={media.variants?.thumb.url}
        srcSet={media.variants ? `${media.variants.thumb.url} ${media.variants.thumb.width}w` : undefined}
        sizes="44px"
        aspect={1}
      />
    </Link>
  );
}
