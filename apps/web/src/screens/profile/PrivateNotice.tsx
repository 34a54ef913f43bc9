import { LockIcon } from '../../components/icons.js';

/** What someone sees of a private account they do not follow: that it exists, not its photos. */
export function PrivateNotice() {
  return (
    <div className="notice private-notice">
      <span className="private-lock">
        <LockIcon />
      </span>
      <h2>This account is private</h2>
      <p className="muted">Follow this account to see their photos.</p>
    </div>
  );
}

/** A private account's content is mine to see when it is mine, or I am an approved follower. */
export function canSeeContent(
  user: { id: string; isPrivate: boolean; relationship?: { following: boolean } },
  meId: string | undefined,
): boolean {
  return !user.isPrivate || user.id === meId || Boolean(user.relationship?.following);
}
