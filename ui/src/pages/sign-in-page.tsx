import { useState, type FormEvent } from 'react';
import { ApiError, apiGet } from '../api';
import { setToken } from '../auth';
import { ErrorBox } from '../components/status';
import { useCurrentUser, useSignedIn } from '../current-user';
import { usePageTitle } from '../page-title';
import { paths } from '../paths';
import { navigate } from '../router';
import type { CurrentUser } from '../types';

/**
 * Sign-in with a personal access token (created with `mega token create` or the tokens page). The
 * token is checked against the server (`GET /api/v1/user`) before it is kept for this tab, so a
 * mistyped token is refused here instead of failing on every page after.
 */
export function SignInPage() {
  usePageTitle('Sign in');
  const [value, setValue] = useState('');
  const [refusal, setRefusal] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const signedIn = useSignedIn();
  const user = useCurrentUser();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setRefusal(undefined);
    const token = value.trim();
    if (!token) return;
    setBusy(true);
    setToken(token);
    apiGet<CurrentUser>('/api/v1/user').then(
      () => {
        setBusy(false);
        navigate(paths.directory('/'));
      },
      (caught: unknown) => {
        setToken(undefined);
        setBusy(false);
        if (caught instanceof ApiError && caught.status === 401) {
          setRefusal(
            'This token is not accepted: it may be mistyped, cut short, expired or revoked. Paste it again, or create a new one.',
          );
        } else setError(caught instanceof Error ? caught : new Error(String(caught)));
      },
    );
  };
  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {signedIn && (
        <p data-testid="signed-in-as">
          {user ? (
            <>
              You are signed in as <strong>{user.username}</strong>
              {user.isAdmin ? ' (administrator)' : ''}.
            </>
          ) : (
            'You are signed in.'
          )}{' '}
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
          aria-invalid={refusal ? true : undefined}
          aria-describedby={refusal ? 'token-refused' : 'token-hint'}
          required
        />
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      {refusal && (
        <p id="token-refused" className="error-box" role="alert" data-testid="sign-in-refused">
          {refusal}
        </p>
      )}
      <p id="token-hint" className="muted">
        The token is kept only for this browser tab and sent as a Bearer header. An administrator creates one
        with <code>mega token create &lt;user&gt;</code>; signed in, you create more on the tokens page.
      </p>
      {error && <ErrorBox error={error} />}
    </section>
  );
}
