import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import type { DeployKeyInfo } from '../types';
import { Listing } from './listing';
import { MutationStatus, useMutation } from './mutation';
import { SshKeyCells } from './ssh-key-cells';
import { Load } from './status';

const URL = '/api/v1/deploy-keys';

/**
 * The deploy keys of a path (`mega deploy-key`, docs/ssh.md): SSH keys of a machine (CI, a
 * deployment) that read this path and below, and with write also push there, and nothing else.
 * Listing, adding and removing them needs `admin` on the path, as the Access panel does; what the
 * server refuses (a key already in use, a DSA key, a token without the write scope) is shown.
 */
export function DeployKeys({ path }: { path: string }) {
  const list = useApi<{ items: DeployKeyInfo[] }>(apiUrl('deploy-keys', { path }));
  const removal = useMutation();
  const remove = (key: DeployKeyInfo) => {
    if (!window.confirm(`Remove the deploy key "${key.title}"? Machines using it can no longer connect.`))
      return;
    void removal
      .run(() => apiRequest('DELETE', `${URL}/${key.id}`), `Removed the deploy key "${key.title}".`)
      .then(list.reload);
  };
  return (
    <section aria-labelledby="deploy-keys-title">
      <h3 id="deploy-keys-title">Deploy keys</h3>
      <p className="muted small">
        SSH keys that read <code>{path}</code> and below, nothing else; with write access they also push.
      </p>
      <Load
        value={list}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No deploy keys.</p>
          ) : (
            <Listing
              columns={['Title', 'Access', 'Fingerprint', 'Added', 'Last used', { hidden: 'Actions' }]}
              label="Deploy keys"
            >
              {data.items.map((key) => (
                <tr key={key.id} data-testid="deploy-key-row">
                  <td>{key.title}</td>
                  <td>{key.write ? 'read-write' : 'read-only'}</td>
                  <SshKeyCells
                    fingerprint={key.fingerprint}
                    createdAt={key.createdAt}
                    lastUsedAt={key.lastUsedAt}
                  />
                  <td>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Remove the deploy key ${key.title}`}
                      disabled={removal.busy}
                      onClick={() => remove(key)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </Listing>
          )
        }
      />
      <MutationStatus mutation={removal} testId="deploy-key-removed" />
      <AddDeployKey path={path} onAdded={list.reload} />
    </section>
  );
}

/** Paste a public key; the server checks it and answers with its fingerprint. */
function AddDeployKey({ path, onAdded }: { path: string; onAdded: () => void }) {
  const [key, setKey] = useState('');
  const [title, setTitle] = useState('');
  const [write, setWrite] = useState(false);
  const add = useMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { path, key: key.trim(), write, ...(title.trim() ? { title: title.trim() } : {}) };
    void add
      .run(
        () => apiRequest<DeployKeyInfo>('POST', URL, body),
        `Added a ${write ? 'read-write' : 'read-only'} deploy key.`,
      )
      .then((ok) => {
        if (!ok) return;
        setKey('');
        setTitle('');
        setWrite(false);
        onAdded();
      });
  };
  return (
    <form className="stacked-form" onSubmit={submit} aria-label="New deploy key">
      <h4>Add a deploy key</h4>
      <label>
        Deploy public key{' '}
        <textarea
          value={key}
          onChange={(event) => setKey(event.target.value)}
          rows={3}
          className="wide-input"
          required
          placeholder="ssh-ed25519 AAAA… ci@build"
          aria-describedby="deploy-key-hint"
        />
      </label>
      <span id="deploy-key-hint" className="muted small">
        One <code>.pub</code> line: Ed25519, ECDSA or RSA of at least 2048 bits, not used by anyone yet.
      </span>
      <label>
        Deploy key title{' '}
        <input value={title} onChange={(event) => setTitle(event.target.value)} maxLength={255} />
      </label>
      <label>
        <input type="checkbox" checked={write} onChange={(event) => setWrite(event.target.checked)} /> Allow
        pushes (write access)
      </label>
      <div>
        <button type="submit" disabled={add.busy || key.trim() === ''}>
          Add deploy key
        </button>
      </div>
      <MutationStatus mutation={add} testId="deploy-key-added" />
    </form>
  );
}
