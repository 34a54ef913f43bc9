import type { User } from '@glimpse/contract';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { Avatar } from '../../components/Avatar.js';
import { FollowButton } from '../../components/FollowButton.js';
import { LockIcon } from '../../components/icons.js';
import { compactCount } from '../../lib/time.js';
import { useSession } from '../../session.js';
import { ProfileMenu } from './ProfileMenu.js';

/** "12.3K followers" on screen, "12,345 followers" for screen readers. */
function Count({ n, one, many }: { n: number; one: string; many: string }) {
  const noun = n === 1 ? one : many;
  return (
    <>
      <span aria-hidden="true">
        <strong>{compactCount(n)}</strong> {noun}
      </span>
      <span className="visually-hidden">
        {n.toLocaleString()} {noun}
      </span>
    </>
  );
}

/** Avatar, username, counts, name and bio, with the actions that fit whose profile it is. */
export function ProfileHeader({ user }: { user: User }) {
  const { me } = useSession();
  const mine = me?.id === user.id;
  const base = `/u/${user.username}`;
  let actions: ReactNode;
  if (mine)
    actions = (
      <>
        <Link href="/settings" className="button-link">
          Edit profile
        </Link>
        <Link href="/saved" className="button-link">
          Saved
        </Link>
        <Link href="/requests" className="button-link">
          Follow requests
        </Link>
      </>
    );
  else
    actions = (
      <>
        <FollowButton user={user} />
        {me && <ProfileMenu user={user} />}
      </>
    );

  return (
    <header className="profile-head">
      <div className="profile-avatar">
        <Avatar user={user} size={88} />
      </div>
      <div className="profile-main">
        <div className="profile-title">
          <h1>{user.username}</h1>
          {user.isPrivate && (
            <span className="profile-lock" title="Private account">
              <LockIcon />
              <span className="visually-hidden">(private)</span>
            </span>
          )}
        </div>
        <ul className="profile-counts">
          <li>
            <Count n={user.postCount} one="post" many="posts" />
          </li>
          <li>
            <Link href={`${base}/followers`}>
              <Count n={user.followerCount} one="follower" many="followers" />
            </Link>
          </li>
          <li>
            <Link href={`${base}/following`}>
              <Count n={user.followingCount} one="following" many="following" />
            </Link>
          </li>
        </ul>
      </div>
      <div className="profile-about">
        {user.displayName && <p className="profile-name">{user.displayName}</p>}
        {user.bio && <p className="profile-bio">{user.bio}</p>}
        {user.relationship?.followedBy && !mine && <p className="muted small">Follows you</p>}
      </div>
      <div className="profile-actions">{actions}</div>
    </header>
  );
}
