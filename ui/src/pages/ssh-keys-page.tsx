import { useState, type FormEvent } from 'react';
import { apiRequest, useApi } from '../api';
import { Listing } from '../components/listing';
import { useMutation, MutationStatus } from '../components/mutation';
import { SignInPrompt } from '../components/sign-in-prompt';
import { SshKeyCells } from '../components/ssh-key-cells';
import { Load } from '../components/status';
import { useSignedIn } from '../current-user';
import type { SshKeyInfo } from '../types';

const KEYS_URL = '/api/v1/user/keys';

/**
 * The signed-in user's SSH public keys for git over SSH: list (OpenSSH fingerprints), add (a
 * pasted `.pub` line) and remove. The same operations as `mega user key add|list|remove`.
 */
export function SshKeysPage() {
  const signedIn = useSignedIn();
  if (signedIn) return <SshKeysContent />;
  return (
    <section aria-labelledby="ssh-keys-title">
      <h1 id="ssh-keys-title">SSH keys</h1>
      <SignInPrompt what="Managing SSH keys" />
    </section>
  );
}

function SshKeysContent() {
  const keys = useApi<{ items: SshKeyInfo[] }>(KEYS_URL);
  const removal = useMutation();
  const remove = (key: SshKeyInfo) => {
    if (!window.confirm(`Remove the key "${key.title}"? Clients using it can no longer connect.`)) return;
    void removal
      .run(() => apiRequest('DELETE', `${KEYS_URL}/${key.id}`), `Removed the key "${key.title}".`)
      .then(keys.reload);
  };
  return (
    <section aria-labelledby="ssh-keys-title">
      <h1 id="ssh-keys-title">SSH keys</h1>
      <AddKey onAdded={keys.reload} />
      <h2>Your keys</h2>
      <MutationStatus mutation={removal} testId="ssh-key-removed" />
      <Load
        value={keys}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No SSH keys.</p>
          ) : (
            <Listing
              columns={['Title', 'Type', 'Fingerprint', 'Added', 'Last used', { hidden: 'Actions' }]}
              label="SSH keys"
            >
              {data.items.map((key) => (
                <tr key={key.id} data-testid="ssh-key-row">
                  <td>{key.title}</td>
                  <td>
                    {key.type} ({key.bits} bits)
                  </td>
                  <SshKeyCells
                    fingerprint={key.fingerprint}
                    createdAt={key.createdAt}
                    lastUsedAt={key.lastUsedAt}
                  />
                  <td>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Remove ${key.title}`}
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
    </section>
  );
}

/** Paste a public key; the server checks its type and size and answers with its fingerprint. */
function AddKey({ onAdded }: { onAdded: () => void }) {
  const [key, setKey] = useState('');
  const [title, setTitle] = useState('');
  const add = useMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { key: key.trim(), ...(title.trim() ? { title: title.trim() } : {}) };
    void add
      .run(() => apiRequest<SshKeyInfo>('POST', KEYS_URL, body), 'Added the key.')
      .then((ok) => {
        if (!ok) return;
        setKey('');
        setTitle('');
        onAdded();
      });
  };
  return (
    <form className="stacked-form" onSubmit={submit} aria-label="New SSH key">
      <h2>Add a key</h2>
      <label>
        Public key{' '}
        <textarea
          value={key}
          onChange={(event) => setKey(event.target.value)}
          rows={3}
          className="wide-input"
          required
          placeholder="ssh-ed25519 AAAA… you@laptop"
          aria-describedby="ssh-key-hint"
        />
      </label>
      <span id="ssh-key-hint" className="muted small">
        The contents of your <code>~/.ssh/id_ed25519.pub</code>. Ed25519, ECDSA and RSA of at least 2048 bits.
      </span>
      <label>
        Title <input value={title} onChange={(event) => setTitle(event.target.value)} maxLength={255} />
      </label>
      <div>
        <button type="submit" className="primary" disabled={add.busy || key.trim() === ''}>
          Add key
        </button>
      </div>
      <MutationStatus mutation={add} />
    </form>
  );
}
