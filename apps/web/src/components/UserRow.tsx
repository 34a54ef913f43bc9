import type { User } from '@glimpse/contract';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { Avatar } from './Avatar.js';

/** One person in a list (followers, likers, search results): avatar, username, name, an action. */
export function UserRow({ user, children }: { user: User; children?: ReactNode }) {
  return (
    <li className="user-row">
      <Link href={`/u/${user.username}`} className="user-row-link">
        <Avatar user={user} size={44} />
        <span className="user-row-names">
          <strong>{user.username}</strong>
          {user.displayName && <span className="muted">{user.displayName}</span>}
        </span>
      </Link>
      {children}
    </li>
  );
}
