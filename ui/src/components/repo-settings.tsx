import { useState } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import { getToken } from '../auth';
import { paths } from '../paths';
import { navigate } from '../router';
import type { RefList } from '../types';

/**
 * An administrator's controls for a repository (shown to admins only): its default branch, and
 * deleting it with its b-link. The same operations as `mega repo set-head|delete`.
 */
export function RepoSettings({ repo }: { repo: string }) {
  const user = useApi<{ isAdmin: boolean }>(getToken() ? '/api/v1/user' : undefined);
  const refs = useApi<RefList>(apiUrl('repos/refs', { repo }));
  const [branch, setBranch] = useState<string>();
  const [message, setMessage] = useState<string>();
  // What this form saved last: the listing is not reloaded, which would fold the form away.
  const [saved, setSaved] = useState<string>();
  if (user.state !== 'ready' || !user.data.isAdmin || refs.state !== 'ready') return null;
  const branches = refs.data.items.filter((ref) => ref.kind === 'branch').map((ref) => ref.shortName);
  const current = saved ?? refs.data.defaultBranch;
  const chosen = branch ?? current ?? branches[0] ?? '';
  const report = (caught: unknown) => setMessage(caught instanceof Error ? caught.message : String(caught));
  const save = () => {
    void apiRequest('PUT', '/api/v1/repos/default-branch', { repo, branch: chosen }).then(() => {
      setMessage(`Default branch is now ${chosen}.`);
      setSaved(chosen);
    }, report);
  };
  const remove = () => {
    if (!window.confirm(`Delete ${repo} and its b-link? This cannot be undone.`)) return;
    void apiRequest('DELETE', apiUrl('repos', { repo })).then(() => navigate(paths.directory('/')), report);
  };
  return (
    <details className="repo-settings">
      <summary>Settings</summary>
      <label>
        Default branch{' '}
        <select value={chosen} onChange={(event) => setBranch(event.target.value)}>
          {branches.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" onClick={save} disabled={chosen === current}>
        Save
      </button>{' '}
      <button type="button" className="danger" onClick={remove}>
        Delete repository
      </button>
      {message && (
        <p role="status" data-testid="repo-settings-message">
          {message}
        </p>
      )}
    </details>
  );
}
