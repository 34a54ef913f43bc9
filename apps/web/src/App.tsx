import type { Me } from '@glimpse/contract';
import { useEffect, useState } from 'react';
import { api } from './api.js';
import { AccountPage } from './AccountPage.js';
import { SignIn } from './SignIn.js';

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    api
      .resume()
      .then(setMe)
      .catch(() => setMe(null))
      .finally(() => setLoading(false));
  }, []);

  return (
    <div className="shell">
      <header className="topbar">
        <span className="logo" aria-label="Glimpse">
          Glimpse
        </span>
      </header>
      <main>
        {loading ? (
          <p className="muted" role="status">
            Loading…
          </p>
        ) : me ? (
          <AccountPage
            me={me}
            onChange={setMe}
            onLogout={() => {
              void api.logout().then(() => setMe(null));
            }}
          />
        ) : (
          <SignIn onSignedIn={setMe} />
        )}
      </main>
    </div>
  );
}
