import type { Me } from '@glimpse/contract';
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api.js';
import { Field, fieldMessage } from './Field.js';

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [values, setValues] = useState({ login: '', username: '', email: '', password: '' });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(
        mode === 'login'
          ? await api.login(values.login, values.password)
          : await api.register(values.username, values.email, values.password),
      );
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err
          : new ApiError(0, 'network', 'Could not reach Glimpse. Check your connection.'),
      );
    } finally {
      setBusy(false);
    }
  }

  const fields = error?.fields ?? {};
  return (
    <section className="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">{mode === 'login' ? 'Log in' : 'Create your account'}</h1>
      <form onSubmit={submit} noValidate>
        {mode === 'login' ? (
          <Field
            label="Username or email"
            autoComplete="username"
            value={values.login}
            onChange={set('login')}
            required
            error={fieldMessage(fields, 'login', 'Username or email')}
          />
        ) : (
          <>
            <Field
              label="Username"
              autoComplete="username"
              value={values.username}
              onChange={set('username')}
              maxLength={30}
              required
              error={fieldMessage(fields, 'username', 'Username')}
            />
            <Field
              label="Email"
              type="email"
              autoComplete="email"
              value={values.email}
              onChange={set('email')}
              required
              error={fieldMessage(fields, 'email', 'Email')}
            />
          </>
        )}
        <Field
          label="Password"
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          value={values.password}
          onChange={set('password')}
          minLength={mode === 'register' ? 8 : undefined}
          required
          error={fieldMessage(fields, 'password', 'Password')}
        />
        {error && Object.keys(fields).length === 0 && (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'One moment…' : mode === 'login' ? 'Log in' : 'Sign up'}
        </button>
      </form>
      <p className="muted switch">
        {mode === 'login' ? 'New here?' : 'Already have an account?'}{' '}
        <button
          type="button"
          className="link"
          onClick={() => {
            setMode(mode === 'login' ? 'register' : 'login');
            setError(null);
          }}
        >
          {mode === 'login' ? 'Create an account' : 'Log in'}
        </button>
      </p>
    </section>
  );
}
