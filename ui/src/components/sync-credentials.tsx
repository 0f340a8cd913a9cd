import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl } from '../api';
import { MutationStatus, useMutation } from './mutation';
import type { SyncCredential } from './sync-model';
import { Listing } from './listing';

const WRITE_ONLY =
  'Secrets are write-only: stored encrypted and never shown again, not even here. To change one, enter a new one.';

/** A tenant's credentials: the list (without secrets), a form to add one and one to change one. */
export function SyncCredentials(props: {
  tenant: number;
  credentials: readonly SyncCredential[];
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState<number | undefined>();
  const remove = useMutation();
  const base = `sync/tenants/${props.tenant}/credentials`;
  const deleteOne = (credential: SyncCredential) => {
    if (!window.confirm(`Delete the credential ${credential.name}?`)) return;
    void remove
      .run(() => apiRequest('DELETE', apiUrl(`${base}/${credential.id}`)), `Deleted ${credential.name}.`)
      .then((ok) => ok && props.onChanged());
  };
  return (
    <>
      <p className="muted small" id="secret-note">
        {WRITE_ONLY}
      </p>
      {props.credentials.length === 0 ? (
        <p className="muted">No credentials: public sources need none.</p>
      ) : (
        <Listing
          columns={['Name', 'Type', 'Username', 'Secret', { hidden: 'Actions' }]}
          testId="sync-credentials"
        >
          {props.credentials.map((credential) => (
            <tr key={credential.id}>
              <td>{credential.name}</td>
              <td>{credential.type}</td>
              <td>{credential.username ?? '—'}</td>
              <td className="muted">set (hidden)</td>
              <td className="row-actions">
                <button
                  type="button"
                  onClick={() => setEditing(editing === credential.id ? undefined : credential.id)}
                  aria-expanded={editing === credential.id}
                  aria-label={`Change ${credential.name}`}
                >
                  Change
                </button>{' '}
                <button
                  type="button"
                  className="danger"
                  onClick={() => deleteOne(credential)}
                  aria-label={`Delete ${credential.name}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </Listing>
      )}
      <MutationStatus mutation={remove} />
      {props.credentials
        .filter((credential) => credential.id === editing)
        .map((credential) => (
          <CredentialForm
            key={credential.id}
            tenant={props.tenant}
            existing={credential}
            onSaved={() => {
              setEditing(undefined);
              props.onChanged();
            }}
          />
        ))}
      <CredentialForm tenant={props.tenant} onSaved={props.onChanged} />
    </>
  );
}

/** Adds a credential, or changes one (`existing`): its name and type stay, a new secret replaces the old. */
function CredentialForm(props: { tenant: number; existing?: SyncCredential; onSaved: () => void }) {
  const { existing } = props;
  const [name, setName] = useState('');
  const [type, setType] = useState<SyncCredential['type']>(existing?.type ?? 'token');
  const [username, setUsername] = useState(existing?.username ?? '');
  const [secret, setSecret] = useState('');
  const [knownHost, setKnownHost] = useState(existing?.knownHost ?? '');
  const save = useMutation();
  const idPrefix = existing ? `credential-${existing.id}` : 'credential-new';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const base = `sync/tenants/${props.tenant}/credentials`;
    const shared = {
      username: username.trim() || null,
      ...(type === 'ssh_key' ? { knownHost: knownHost.trim() || null } : {}),
    };
    void save
      .run(
        () =>
          existing
            ? apiRequest('PATCH', apiUrl(`${base}/${existing.id}`), {
                ...shared,
                ...(secret ? { secret } : {}),
              })
            : apiRequest('POST', apiUrl(base), { ...shared, name: name.trim(), type, secret }),
        existing ? 'Saved: the secret stays hidden.' : 'Added: its secret is not shown again.',
      )
      .then((ok) => {
        // The secret leaves the page once the server has it, whatever the outcome of later steps.
        if (!ok) return;
        setSecret('');
        if (!existing) {
          setName('');
          setUsername('');
          setKnownHost('');
        }
        props.onSaved();
      });
  };
  const title = existing ? `Change ${existing.name}` : 'Add a credential';
  return (
    <form className="stacked-form" onSubmit={submit} aria-label={title}>
      <h3>{title}</h3>
      {!existing && (
        <>
          <label htmlFor={`${idPrefix}-name`}>Credential name</label>
          <input
            id={`${idPrefix}-name`}
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={128}
            required
          />
          <label htmlFor={`${idPrefix}-type`}>Type</label>
          <select
            id={`${idPrefix}-type`}
            value={type}
            onChange={(event) => setType(event.target.value as SyncCredential['type'])}
          >
            <option value="token">token (https)</option>
            <option value="password">password (https)</option>
            <option value="ssh_key">SSH private key</option>
          </select>
        </>
      )}
      <label htmlFor={`${idPrefix}-username`}>Username</label>
      <input
        id={`${idPrefix}-username`}
        value={username}
        onChange={(event) => setUsername(event.target.value)}
        autoComplete="off"
        required={type === 'password'}
      />
      <label htmlFor={`${idPrefix}-secret`}>{existing ? 'New secret' : 'Secret'}</label>
      {type === 'ssh_key' ? (
        <textarea
          id={`${idPrefix}-secret`}
          className="wide-input"
          rows={4}
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          autoComplete="off"
          spellCheck={false}
          aria-describedby="secret-note"
          required={!existing}
        />
      ) : (
        <input
          id={`${idPrefix}-secret`}
          type="password"
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          autoComplete="new-password"
          aria-describedby="secret-note"
          required={!existing}
        />
      )}
      {existing && <span className="muted small">Empty: the current secret stays.</span>}
      {type === 'ssh_key' && (
        <>
          <label htmlFor={`${idPrefix}-known-host`}>Known host line</label>
          <input
            id={`${idPrefix}-known-host`}
            className="wide-input"
            value={knownHost}
            onChange={(event) => setKnownHost(event.target.value)}
            placeholder="example.org ssh-ed25519 AAAA…"
          />
        </>
      )}
      <div>
        <button type="submit" className="primary" disabled={save.busy}>
          {existing ? 'Save credential' : 'Add credential'}
        </button>
      </div>
      <MutationStatus mutation={save} testId={existing ? undefined : 'credential-saved'} />
    </form>
  );
}
