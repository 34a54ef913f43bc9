import type { Me } from '@glimpse/contract';
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api.js';
import { Field, fieldMessage } from './Field.js';

export function AccountPage({
  me,
  onChange,
  onLogout,
}: {
  me: Me;
  onChange: (me: Me) => void;
  onLogout: () => void;
}) {
  const [profile, setProfile] = useState({
    displayName: me.displayName,
    bio: me.bio,
    isPrivate: me.isPrivate,
  });
  const [status, setStatus] = useState<{
    kind: 'ok' | 'error';
    text: string;
    fields?: Record<string, string>;
  } | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    try {
      onChange(await api.updateMe(profile));
      setStatus({ kind: 'ok', text: 'Saved.' });
    } catch (err) {
      const e = err instanceof ApiError ? err : null;
      setStatus({ kind: 'error', text: e?.message ?? 'Could not save.', fields: e?.fields ?? {} });
    }
  }

  const fields = status?.fields ?? {};
  return (
    <section className="card" aria-labelledby="me-title">
      <div className="profile-head">
        <div className="avatar" aria-hidden="true">
          {(me.displayName || me.username).slice(0, 1).toUpperCase()}
        </div>
        <div>
          <h1 id="me-title">{me.displayName || me.username}</h1>
          <p className="muted">@{me.username}</p>
        </div>
      </div>
      <dl className="counts">
        <div>
          <dt>posts</dt>
          <dd>{me.postCount}</dd>
        </div>
        <div>
          <dt>followers</dt>
          <dd>{me.followerCount}</dd>
        </div>
        <div>
          <dt>following</dt>
          <dd>{me.followingCount}</dd>
        </div>
      </dl>
      <form onSubmit={save} noValidate>
        <Field
          label="Name"
          value={profile.displayName}
          maxLength={64}
          onChange={(e) => setProfile({ ...profile, displayName: e.target.value })}
          error={fieldMessage(fields, 'displayName', 'Name')}
        />
        <label className="field">
          <span>Bio</span>
          <textarea
            value={profile.bio}
            maxLength={150}
            rows={3}
            onChange={(e) => setProfile({ ...profile, bio: e.target.value })}
          />
          {fields.bio && <span className="field-error">Bio {fields.bio}.</span>}
        </label>
        <label className="toggle">
          <input
            type="checkbox"
            checked={profile.isPrivate}
            onChange={(e) => setProfile({ ...profile, isPrivate: e.target.checked })}
          />
          <span>Private account: only people you approve see your photos</span>
        </label>
        {status && (
          <p
            className={status.kind === 'ok' ? 'form-ok' : 'form-error'}
            role={status.kind === 'ok' ? 'status' : 'alert'}
          >
            {status.text}
          </p>
        )}
        <div className="actions">
          <button className="primary" type="submit">
            Save profile
          </button>
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </div>
      </form>
    </section>
  );
}
