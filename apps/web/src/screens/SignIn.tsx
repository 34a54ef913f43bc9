import { useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import { api, ApiError } from '../api/index.js';
import { Field, fieldMessage } from '../components/Field.js';
import { useSession } from '../session.js';

/** Log in or sign up. On /login and /signup it leads home afterwards; elsewhere it stays put. */
export function SignIn({ mode: initialMode = 'login' }: { mode?: 'login' | 'register' }) {
  const { setMe } = useSession();
  const [location, navigate] = useLocation();
  const [mode, setMode] = useState<'login' | 'register'>(initialMode);
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
      setMe(
        mode === 'login'
          ? await api.login(values.login, values.password)
          : await api.register(values.username, values.email, values.password),
      );
      if (location === '/login' || location === '/signup') navigate('/');
    } catch (err) {
      setError(
        err instanceof ApiError
          ? err
          : new ApiError(0, 'unexpected', 'Something unexpected happened. Try again.'),
      );
    } finally {
      setBusy(false);
    }
  }

  const fields = error?.fields ?? {};
  return (
    <div className="signin">
      <div className="signin-brand">
        <img src="/icon.svg" alt="Glimpse" width={64} height={64} />
        <p>Share photos with the people you follow.</p>
      </div>
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
    </div>
  );
}
