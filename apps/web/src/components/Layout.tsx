import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { useSession } from '../session.js';
import { Avatar } from './Avatar.js';
import { Badge, shownCount, useUnreadCount } from './NotificationsBadge.js';
import { BellIcon, ExploreIcon, HomeIcon, PlusIcon, SearchIcon } from './icons.js';
import { Toasts } from './Toasts.js';

/**
 * The frame around every screen: a top bar, and the tabs that sit at the bottom on phones (in
 * thumb reach) and in the top bar on wider screens. Tabs are links with names, so keyboards
 * and screen readers get the same navigation.
 */
export function Layout({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const [location] = useLocation();
  const unread = useUnreadCount(Boolean(me));
  const tab = (href: string, label: string, icon: ReactNode, extra?: ReactNode) => {
    const current = href === '/' ? location === '/' : location.startsWith(href);
    return (
      <Link href={href} className="tab" aria-label={label} aria-current={current ? 'page' : undefined}>
        {icon}
        {extra}
        <span className="tab-label">{label}</span>
      </Link>
    );
  };

  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="logo" aria-label="Glimpse home">
          Glimpse
        </Link>
        {me ? (
          <nav className="tabs" aria-label="Main">
            {tab('/', 'Home', <HomeIcon filled={location === '/'} />)}
            {tab('/search', 'Search', <SearchIcon />)}
            {tab('/explore', 'Explore', <ExploreIcon />)}
            {tab('/new', 'New post', <PlusIcon />)}
            {tab(
              '/notifications',
              // The badge's number is visible text, so the link's name says it too.
              unread > 0 ? `Notifications, ${shownCount(unread)} unread` : 'Notifications',
              <BellIcon />,
              <Badge count={unread} />,
            )}
            {tab(`/u/${me.username}`, 'Profile', <Avatar user={me} size={26} />)}
          </nav>
        ) : (
          <nav className="guest-nav" aria-label="Account">
            <Link href="/explore" className="button-link">
              Explore
            </Link>
            <Link href="/login" className="button-link primary-link">
              Log in
            </Link>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <Toasts />
    </div>
  );
}
