import type { User } from '@glimpse/contract';

/** A round avatar: the user's photo (thumb rendition), else their initial on a tinted disc. */
export function Avatar({
  user,
  size = 32,
}: {
  user: Pick<User, 'username' | 'displayName' | 'avatar'>;
  size?: number;
}) {
  const thumb = user.avatar?.status === 'ready' ? user.avatar.variants?.thumb : null;
  const style = { width: size, height: size, fontSize: size * 0.42 };
  if (thumb)
    return (
      <img
        className="avatar"
        src={thumb.url}
        alt=""
        width={size}
        height={size}
        style={style}
        loading="lazy"
      />
    );
  const letter = (user.displayName || user.username).trim().charAt(0).toUpperCase() || '?';
  return (
    <span className="avatar avatar-letter" style={style} aria-hidden>
      {letter}
    </span>
  );
}
