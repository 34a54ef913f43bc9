import { useState } from 'react';
import { useLocation } from 'wouter';
import { useSession } from '../session.js';
import { BlockedAccounts } from './settings/BlockedAccounts.js';
import { PasswordForm } from './settings/PasswordForm.js';
import { ProfileForm } from './settings/ProfileForm.js';
import { ListHeader } from './profile/ListHeader.js';
import './profile/profile.css';
import './settings/settings.css';

/** `/settings`: edit profile, change password, blocked accounts, log out. */
export function Settings() {
  const { me, logout } = useSession();
  const [, navigate] = useLocation();
  const [busy, setBusy] = useState(false);
  async function leave() {
    setBusy(true);
    // logout() never throws: the server call is best effort, the local session always ends.
    await logout();
    navigate('/login');
  }
  return (
    <div className="settings">
      <ListHeader title="Settings" back={me ? `/u/${me.username}` : '/'} backLabel="Back to your profile" />
      <ProfileForm />
      <PasswordForm />
      <BlockedAccounts />
      <section className="card settings-card" aria-labelledby="session-title">
        <h2 id="session-title">Session</h2>
        <p className="muted small">Signed in as {me?.username}.</p>
        <button type="button" className="danger" onClick={() => void leave()} disabled={busy}>
          Log out
        </button>
      </section>
    </div>
  );
}
