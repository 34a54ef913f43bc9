import { BIO_MAX, DISPLAY_NAME_MAX } from '@glimpse/contract/limits';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError, api } from '../../api/index.js';
import { AvatarUpload } from '../../components/AvatarUpload.js';
import { Field, fieldMessage } from '../../components/Field.js';
import { toast } from '../../components/Toasts.js';
import { humanError } from '../../lib/errors.js';
import { useMe, useSession } from '../../session.js';
import { TextArea } from '../../components/TextArea.js';

/** Photo, name, bio and the private switch. */
export function ProfileForm() {
  const me = useMe();
  const { setMe } = useSession();
  const queryClient = useQueryClient();
  const hintId = useId();
  const [values, setValues] = useState({ displayName: me.displayName, bio: me.bio, isPrivate: me.isPrivate });
  const [error, setError] = useState<{ text: string; fields: Record<string, string> } | null>(null);
  const [busy, setBusy] = useState(false);

  function saved(updated: typeof me) {
    setMe(updated);
    // The profile screen caches the public view of me; it should show the change at once.
    void queryClient.invalidateQueries({ queryKey: ['user', updated.username] });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const updated = await api.updateMe(values);
      saved(updated);
      setValues({ displayName: updated.displayName, bio: updated.bio, isPrivate: updated.isPrivate });
      toast('Profile saved.');
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : {};
      setError({ text: humanError(err), fields });
    } finally {
      setBusy(false);
    }
  }

  const fields = error?.fields ?? {};
  return (
    <section className="card settings-card" aria-labelledby="edit-profile-title">
      <h2 id="edit-profile-title">Edit profile</h2>
      <AvatarUpload me={me} onChange={saved} />
      <form onSubmit={submit} noValidate>
        <Field
          label="Name"
          autoComplete="name"
          value={values.displayName}
          maxLength={DISPLAY_NAME_MAX}
          onChange={(e) => setValues((v) => ({ ...v, displayName: e.target.value }))}
          error={fieldMessage(fields, 'displayName', 'Name')}
        />
        <TextArea
          label="Bio"
          value={values.bio}
          max={BIO_MAX}
          rows={3}
          onChange={(e) => setValues((v) => ({ ...v, bio: e.target.value }))}
          error={fieldMessage(fields, 'bio', 'Bio')}
        />
        <div className="toggle-block">
          <label className="toggle">
            <input
              type="checkbox"
              checked={values.isPrivate}
              aria-describedby={hintId}
              onChange={(e) => setValues((v) => ({ ...v, isPrivate: e.target.checked }))}
            />
            <span>Private account</span>
          </label>
          <p id={hintId} className="muted small">
            When your account is private, only followers you approve see your photos and your follower lists;
            your name, photo and bio stay visible. Making it public again accepts every pending request.
          </p>
        </div>
        {error && Object.keys(fields).length === 0 && (
          <p className="form-error" role="alert">
            {error.text}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </form>
    </section>
  );
}
