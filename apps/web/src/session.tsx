import type { Me } from '@glimpse/contract';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onSessionLost } from './api/index.js';
import { ErrorNotice, Loading } from './components/ErrorNotice.js';

interface Session {
  /** The signed-in account, or null for a visitor. */
  me: Me | null;
  setMe: (me: Me | null) => void;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionProvider>');
  return session;
}

/** The signed-in account, for screens only reachable when signed in (see RequireSession). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe without a session');
  return me;
}

/**
 * Resumes the session from the stored refresh token once, before anything renders that would
 * show the wrong state. A network failure or 503 is not a logout: it shows a retry instead.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [me, setMeState] = useState<Me | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | { error: unknown }>('loading');

  const resume = useCallback(() => {
    setState('loading');
    api
      .resume()
      .then((user) => (setMeState(user), setState('ready')))
      .catch((error: unknown) => setState({ error }));
  }, []);
  useEffect(resume, [resume]);

  const setMe = useCallback(
    (next: Me | null) => {
      // Another account's cached pages (feed, likedByMe, notifications) must never show.
      setMeState((previous) => {
        if (previous?.id !== next?.id) queryClient.clear();
        return next;
      });
    },
    [queryClient],
  );
  useEffect(() => onSessionLost(() => setMe(null)), [setMe]);

  const logout = useCallback(async () => {
    await api.logout();
    setMe(null);
  }, [setMe]);

  const value = useMemo(() => ({ me, setMe, logout }), [me, setMe, logout]);
  // Until the session is known, the same top bar the app will show, so nothing jumps when it does.
  if (state === 'loading')
    return (
      <Frame>
        <Loading />
      </Frame>
    );
  if (state !== 'ready')
    return (
      <Frame>
        <ErrorNotice error={state.error} onRetry={resume} />
      </Frame>
    );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

function Frame({ children }: { children: ReactNode }) {
  return (
    <div className="shell">
      <header className="topbar">
        <span className="logo">Glimpse</span>
      </header>
      <main id="main">{children}</main>
    </div>
  );
}
