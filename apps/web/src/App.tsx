import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Component, lazy, Suspense, type ReactNode } from 'react';
import { Route, Switch, useLocation } from 'wouter';
import { Loading, NotFound } from './components/ErrorNotice.js';
import { Layout } from './components/Layout.js';
import { isTransient } from './lib/errors.js';
import { Feed } from './screens/Feed.js';
import { SignIn } from './screens/SignIn.js';
import { SessionProvider, useSession } from './session.js';

/**
 * Screens other than the feed and sign-in load on first visit, so the first paint carries only
 * what the home screen needs (the initial-JS budget in BENCHMARKS.md).
 */
const screen = <K extends string>(load: () => Promise<Record<K, React.ComponentType>>, name: K) =>
  lazy(async () => ({ default: (await load())[name] }));

const Composer = screen(() => import('./screens/Composer.js'), 'Composer');
const PostPage = screen(() => import('./screens/PostPage.js'), 'PostPage');
const Likers = screen(() => import('./screens/PostPage.js'), 'Likers');
const Profile = screen(() => import('./screens/Profile.js'), 'Profile');
const FollowList = screen(() => import('./screens/FollowList.js'), 'FollowList');
const FollowRequests = screen(() => import('./screens/FollowRequests.js'), 'FollowRequests');
const Settings = screen(() => import('./screens/Settings.js'), 'Settings');
const Saved = screen(() => import('./screens/Saved.js'), 'Saved');
const Search = screen(() => import('./screens/Search.js'), 'Search');
const Explore = screen(() => import('./screens/Explore.js'), 'Explore');
const Hashtag = screen(() => import('./screens/Hashtag.js'), 'Hashtag');
const Notifications = screen(() => import('./screens/Notifications.js'), 'Notifications');

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // Retry what may pass on its own (network, 503, 429); a 4xx answer will not change.
      retry: (failures, error) => isTransient(error) && failures < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/** Screens that only make sense signed in show the sign-in form instead. */
function Private({ children }: { children: ReactNode }) {
  const { me } = useSession();
  return me ? <>{children}</> : <SignIn />;
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <Layout>
          <ScreenBoundary key={useLocation()[0]}>
            <Suspense fallback={<Loading />}>
              <Switch>
                <Route path="/">
                  <Private>
                    <Feed />
                  </Private>
                </Route>
                <Route path="/login">
                  <SignIn />
                </Route>
                <Route path="/signup">
                  <SignIn mode="register" />
                </Route>
                <Route path="/new">
                  <Private>
                    <Composer />
                  </Private>
                </Route>
                <Route path="/p/:id" component={PostPage} />
                <Route path="/p/:id/likes">
                  <Private>
                    <Likers />
                  </Private>
                </Route>
                <Route path="/u/:username" component={Profile} />
                <Route path="/u/:username/:list" component={FollowList} />
                <Route path="/requests">
                  <Private>
                    <FollowRequests />
                  </Private>
                </Route>
                <Route path="/settings">
                  <Private>
                    <Settings />
                  </Private>
                </Route>
                <Route path="/saved">
                  <Private>
                    <Saved />
                  </Private>
                </Route>
                <Route path="/search" component={Search} />
                <Route path="/explore" component={Explore} />
                <Route path="/tags/:name" component={Hashtag} />
                <Route path="/notifications">
                  <Private>
                    <Notifications />
                  </Private>
                </Route>
                <Route>
                  <NotFound />
                </Route>
              </Switch>
            </Suspense>
          </ScreenBoundary>
        </Layout>
      </SessionProvider>
    </QueryClientProvider>
  );
}

/** A screen that throws while rendering (or whose chunk fails to load) says so, with a reload. */
class ScreenBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="notice notice-error" role="alert">
        <p>This screen could not be shown. Reloading usually fixes it.</p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
