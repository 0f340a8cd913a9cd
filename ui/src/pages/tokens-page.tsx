import { useState, type FormEvent } from 'react';
import { apiRequest, useApi } from '../api';
import { DEFAULT_SCOPES, MAX_TOKEN_DAYS, SCOPES } from '../access-values';
import { useMutation, MutationStatus } from '../components/mutation';
import { Load, TimeAgo } from '../components/status';
import { useCurrentUser } from '../current-user';
import type { TokenInfo } from '../types';
import { SignInPrompt } from '../components/sign-in-prompt';
import { useSignedIn } from '../current-user';
import { Listing } from '../components/listing';

const TOKENS_URL = '/api/v1/user/tokens';

/** An ISO timestamp as "3 days ago", or a dash for never. */
function When({ iso, never = '—' }: { iso: string | null; never?: string }) {
  return iso ? <TimeAgo seconds={Date.parse(iso) / 1000} /> : <span className="muted">{never}</span>;
}

/**
 * The signed-in user's personal access tokens: list, create (the plaintext shown once) and
 * revoke. The same operations as `mega token create|list|revoke`.
 */
/** Signed out, the page says how to sign in instead of asking the API for what it cannot see. */
export function TokensPage() {
  const signedIn = useSignedIn();
  if (signedIn) return <TokensContent />;
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Access tokens</h1>
      <SignInPrompt what="Managing tokens" />
    </section>
  );
}

function TokensContent() {
  const tokens = useApi<{ items: TokenInfo[] }>(TOKENS_URL);
  const revoke = useMutation();
  const remove = (token: TokenInfo) => {
    if (!window.confirm(`Revoke the token "${token.name}"? Whatever uses it stops working.`)) return;
    void revoke
      .run(() => apiRequest('DELETE', `${TOKENS_URL}/${token.id}`), `Revoked the token "${token.name}".`)
      .then(tokens.reload);
  };
  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Access tokens</h1>
      <CreateToken onCreated={tokens.reload} />
      <h2>Your tokens</h2>
      <MutationStatus mutation={revoke} testId="token-revoked" />
      <Load
        value={tokens}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No tokens.</p>
          ) : (
            <Listing
              columns={['Name', 'Scopes', 'Created', 'Last used', 'Expires', { hidden: 'Actions' }]}
              label="Tokens"
            >
              {data.items.map((token) => (
                <tr key={token.id} data-testid="token-row">
                  <td>{token.name}</td>
                  <td>{token.scopes.join(', ')}</td>
                  <td>
                    <When iso={token.createdAt} />
                  </td>
                  <td>
                    <When iso={token.lastUsedAt} never="never" />
                  </td>
                  <td>
                    <When iso={token.expiresAt} never="never" />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke ${token.name}`}
                      disabled={revoke.busy}
                      onClick={() => remove(token)}
                    >
                      Revoke
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

/** The form for a new token: scopes limited to the presented token's, so no token grows itself. */
function CreateToken({ onCreated }: { onCreated: () => void }) {
  const user = useCurrentUser();
  const allowed: readonly string[] = user?.scopes ?? SCOPES;
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<readonly string[]>(DEFAULT_SCOPES);
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const create = useMutation();
  const scopes = chosen.filter((scope) => allowed.includes(scope));
  const toggle = (scope: string, on: boolean) =>
    setChosen((current) => (on ? [...current, scope] : current.filter((value) => value !== scope)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { name: name.trim(), scopes, ...(days ? { expiresInDays: Number(days) } : {}) };
    void create
      .run(async () => {
        const answer = await apiRequest<{ token: string }>('POST', TOKENS_URL, body);
        setCreated({ name: body.name, token: answer.token });
      })
      .then((ok) => {
        if (!ok) return;
        setName('');
        setDays('');
        onCreated();
      });
  };
  return (
    <>
      <form className="stacked-form" onSubmit={submit} aria-label="New token">
        <h2>New token</h2>
        <label>
          Token name{' '}
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={100} required />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="inline-choice">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                disabled={!allowed.includes(scope)}
                onChange={(event) => toggle(scope, event.target.checked)}
              />{' '}
              {scope}
            </label>
          ))}
        </fieldset>
        <label>
          Expires in days{' '}
          <input
            type="number"
            min={1}
            max={MAX_TOKEN_DAYS}
            value={days}
            onChange={(event) => setDays(event.target.value)}
            aria-describedby="token-days-hint"
          />
        </label>
        <span id="token-days-hint" className="muted small">
          Empty: never expires.
        </span>
        <div>
          <button type="submit" className="primary" disabled={create.busy || scopes.length === 0}>
            Create token
          </button>
        </div>
      </form>
      {created && <NewToken {...created} />}
      <MutationStatus mutation={create} />
    </>
  );
}

/** The new token's plaintext: shown once, here, with a copy button. */
function NewToken({ name, token }: { name: string; token: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(token).then(() => setCopied(true));
  };
  return (
    <div className="clone-box" role="status" aria-label="New token">
      <p>
        The token <strong>{name}</strong>: copy it now, it is not shown again.
      </p>
      <div className="clone-url">
        <code data-testid="new-token">{token}</code>
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
