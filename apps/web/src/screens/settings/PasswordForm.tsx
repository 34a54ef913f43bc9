import { PASSWORD_MIN } from '@glimpse/contract/limits';
import { useState, type FormEvent } from 'react';
import { ApiError, api } from '../../api/index.js';
import { Field, fieldMessage } from '../../components/Field.js';
import { toast } from '../../components/Toasts.js';
import { humanError } from '../../lib/errors.js';

const EMPTY = { current: '', next: '', confirm: '' };
const DONE = 'Password changed. Your other sessions were signed out.';

/** Change password: checked here first (length, match), then by the server (current, strength). */
export function PasswordForm() {
  const [values, setValues] = useState(EMPTY);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof EMPTY) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setStatus(null);
    const local: Record<string, string> = {};
    if (!values.current) local.current = 'Enter your current password.';
    if (values.next.length < PASSWORD_MIN)
      local.next = `New password must be at least ${PASSWORD_MIN} characters.`;
    else if (values.confirm !== values.next) local.confirm = 'The two new passwords do not match.';
    setFields(local);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await api.changePassword(values.current, values.next);
      setValues(EMPTY);
      setStatus({ ok: true, text: DONE });
      toast(DONE);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'wrong_password') setFields({ current: err.message });
      else if (err instanceof ApiError && Object.keys(err.fields).length > 0)
        setFields({
          current: fieldMessage(err.fields, 'currentPassword', 'Current password') ?? '',
          next: fieldMessage(err.fields, 'newPassword', 'New password') ?? '',
        });
      else setStatus({ ok: false, text: humanError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card settings-card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={values.current}
          onChange={set('current')}
          error={fields.current || undefined}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          minLength={PASSWORD_MIN}
          value={values.next}
          onChange={set('next')}
          error={fields.next || undefined}
        />
        <Field
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          value={values.confirm}
          onChange={set('confirm')}
          error={fields.confirm || undefined}
        />
        {status && (
          <p className={status.ok ? 'form-ok' : 'form-error'} role={status.ok ? 'status' : 'alert'}>
            {status.text}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
