import { useState, type FormEvent } from 'react';
import { apiGet } from '../api';
import { getToken, setToken } from '../auth';
import { ErrorBox } from '../components/status';
import { paths } from '../paths';
import { navigate } from '../router';

/**
 * Sign-in with a personal access token (created with `mega token create` or the tokens API). The
 * token is checked against the server before it is kept for this tab.
 */
export function SignInPage() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const signedIn = getToken() !== undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const token = value.trim();
    if (!token) return;
    setToken(token);
    apiGet('/api/v1/user').then(
      () => navigate(paths.directory('/')),
      (caught: unknown) => {
        setToken(undefined);
        setError(caught instanceof Error ? caught : new Error(String(caught)));
      },
    );
  };
  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {signedIn && (
        <p>
          You are signed in.{' '}
          <button type="button" onClick={() => setToken(undefined)}>
            Sign out
          </button>
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="token">Personal access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          required
        />
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
      <p className="muted">The token is kept only for this browser tab and sent as a Bearer header.</p>
      {error && <ErrorBox error={error} />}
    </section>
  );
}
