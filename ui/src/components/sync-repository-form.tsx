import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl } from '../api';
import { MutationStatus, useMutation } from './mutation';
import type { SyncCredential, SyncRepository } from './sync-model';

/**
 * Adds a sync repository, or edits one (`existing`): what to fetch, with which credential, and
 * when. The other settings (depth, filter, LFS, mirror path) stay with the REST API and the CLI.
 */
export function SyncRepositoryForm(props: {
  tenant: number;
  credentials: readonly SyncCredential[];
  existing?: SyncRepository;
  onSaved: () => void;
  onCancel?: () => void;
}) {
  const { existing } = props;
  const [name, setName] = useState(existing?.name ?? '');
  const [url, setUrl] = useState(existing?.url ?? '');
  const [branch, setBranch] = useState(existing?.branch ?? 'main');
  const [credential, setCredential] = useState(existing?.credentialId ? String(existing.credentialId) : '');
  const [schedule, setSchedule] = useState(existing?.schedule ?? '');
  const [isPublic, setIsPublic] = useState(existing?.isPublic ?? false);
  const save = useMutation();
  const idPrefix = existing ? `sync-repo-${existing.id}` : 'sync-repo-new';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: name.trim(),
      url: url.trim(),
      branch: branch.trim(),
      credentialId: credential ? Number(credential) : null,
      schedule: schedule.trim() || null,
      isPublic: isPublic,
    };
    const base = `sync/tenants/${props.tenant}/repositories`;
    void save
      .run(() =>
        existing
          ? apiRequest('PATCH', apiUrl(`${base}/${existing.id}`), body)
          : apiRequest('POST', apiUrl(base), body),
      )
      .then((ok) => {
        if (!ok) return;
        if (!existing) {
          setName('');
          setUrl('');
          setSchedule('');
        }
        props.onSaved();
      });
  };
  const title = existing ? `Edit ${existing.name}` : 'Add a repository';
  return (
    <form className="stacked-form" onSubmit={submit} aria-label={title}>
      <h3>{title}</h3>
      <label htmlFor={`${idPrefix}-name`}>Name</label>
      <input
        id={`${idPrefix}-name`}
        value={name}
        onChange={(event) => setName(event.target.value)}
        maxLength={128}
        required
      />
      <label htmlFor={`${idPrefix}-url`}>Source URL</label>
      <input
        id={`${idPrefix}-url`}
        className="wide-input"
        value={url}
        onChange={(event) => setUrl(event.target.value)}
        placeholder="https://example.org/team/project.git"
        aria-describedby={`${idPrefix}-url-hint`}
        required
      />
      <span id={`${idPrefix}-url-hint`} className="muted small">
        https, http, ssh or git; never a password in the URL: choose a credential instead.
      </span>
      <label htmlFor={`${idPrefix}-branch`}>Branch</label>
      <input
        id={`${idPrefix}-branch`}
        value={branch}
        onChange={(event) => setBranch(event.target.value)}
        required
      />
      <label htmlFor={`${idPrefix}-credential`}>Credential</label>
      <select
        id={`${idPrefix}-credential`}
        value={credential}
        onChange={(event) => setCredential(event.target.value)}
      >
        <option value="">none (a public source)</option>
        {props.credentials.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name} ({item.type})
          </option>
        ))}
      </select>
      <label htmlFor={`${idPrefix}-schedule`}>Schedule</label>
      <input
        id={`${idPrefix}-schedule`}
        value={schedule}
        onChange={(event) => setSchedule(event.target.value)}
        placeholder="@every 1h"
        aria-describedby={`${idPrefix}-schedule-hint`}
      />
      <span id={`${idPrefix}-schedule-hint`} className="muted small">
        A cron pattern or <code>@every 30m</code>; empty: only when triggered.
      </span>
      <label>
        <input type="checkbox" checked={isPublic} onChange={(event) => setIsPublic(event.target.checked)} />{' '}
        Readable by anyone once imported
      </label>
      <div>
        <button type="submit" className="primary" disabled={save.busy}>
          {existing ? 'Save repository' : 'Add repository'}
        </button>{' '}
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
      <MutationStatus mutation={save} />
    </form>
  );
}
