import type { ReactNode } from 'react';
import { ApiError, type Loadable } from '../api';
import { getToken } from '../auth';
import { Link } from '../router';
import { paths } from '../paths';

/** Renders loading and error states; calls `render` with the data when ready. */
export function Load<T>({ value, render }: { value: Loadable<T>; render: (data: T) => ReactNode }) {
  if (value.state === 'loading')
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  if (value.state === 'error') return <ErrorBox error={value.error} />;
  return <>{render(value.data)}</>;
}

export function ErrorBox({ error }: { error: Error }) {
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="error-box" role="alert">
      <strong>{api ? `${api.status} ${api.code}` : 'Error'}</strong>: {error.message}
      {conflictingFiles(api).length > 0 && (
        <ul aria-label="Conflicting files">
          {conflictingFiles(api).map((file) => (
            <li key={`${file.repository}:${file.path}`}>
              <code>
                {file.repository}/{file.path}
              </code>
            </li>
          ))}
        </ul>
      )}
      {api && <AccessHint error={api} />}
    </div>
  );
}

/**
 * What a refusal means for the reader. The API answers a browser without a Basic challenge, so a
 * 401 arrives here (no login popup) and becomes a sign-in prompt; what the reader may not see is
 * 404, the same as what does not exist.
 */
function AccessHint({ error }: { error: ApiError }) {
  const signedIn = getToken() !== undefined;
  if (error.status === 401) {
    return (
      <p data-testid="sign-in-prompt">
        {signedIn && error.code !== 'authentication_required'
          ? 'Your token is no longer accepted. '
          : 'This needs a signed-in user. '}
        <Link to={paths.signIn()}>Sign in with a token</Link> to see this.
      </p>
    );
  }
  if (error.status === 403) {
    return <p>You are signed in, but your role or token does not allow this.</p>;
  }
  if (error.status === 404) {
    return (
      <p>
        Not found: it does not exist, or you may not see it.
        {!signedIn && (
          <>
            {' '}
            <Link to={paths.signIn()}>Signing in with a token</Link> may show more.
          </>
        )}
      </p>
    );
  }
  return null;
}

/** The files a merge conflict names (`details.files`), if any. */
function conflictingFiles(error: ApiError | undefined): Array<{ repository: string; path: string }> {
  const files = error?.details.files;
  return Array.isArray(files) ? (files as Array<{ repository: string; path: string }>) : [];
}

export function relativeTime(seconds: number): string {
  const delta = Math.round(Date.now() / 1000 - seconds);
  const units: Array<[number, string]> = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (Math.abs(delta) >= size) {
      const count = Math.floor(Math.abs(delta) / size);
      return `${count} ${name}${count === 1 ? '' : 's'} ${delta >= 0 ? 'ago' : 'from now'}`;
    }
  }
  return 'just now';
}

export function TimeAgo({ seconds }: { seconds: number }) {
  const date = new Date(seconds * 1000);
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {relativeTime(seconds)}
    </time>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
