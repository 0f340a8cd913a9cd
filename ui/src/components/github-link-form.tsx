import { useState, type FormEvent } from 'react';
import { apiRequest } from '../api';
import { useSignedIn } from '../current-user';
import { MutationStatus, useMutation } from './mutation';

interface LinkCreated {
  link: { repository: string; htmlUrl: string };
  webhookSecret: string;
}

/**
 * Links an `/import` repository to its GitHub repository (`POST /api/v1/github/links`, which
 * administrators may do; the server's refusal is shown to anyone else). The token comes from a
 * stored sync credential, named by its id; without one, public repositories are read anonymously.
 * The webhook secret is shown this once, to be given to GitHub.
 */
export function GithubLinkForm({ repo, onLinked }: { repo: string; onLinked: () => void }) {
  const signedIn = useSignedIn();
  const [repository, setRepository] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [credentialId, setCredentialId] = useState('');
  const [created, setCreated] = useState<LinkCreated>();
  const save = useMutation();
  if (!signedIn) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      repo,
      repository: repository.trim(),
      ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
      ...(credentialId.trim() ? { credentialId: Number(credentialId) } : {}),
    };
    void save.run(async () => {
      setCreated(await apiRequest<LinkCreated>('POST', '/api/v1/github/links', body));
    }, 'Linked.');
  };
  if (created) {
    return (
      <div className="stacked-form" data-testid="github-linked">
        <p role="status">
          Linked to <a href={created.link.htmlUrl}>{created.link.repository}</a>. Webhook secret for GitHub
          (shown once): <code>{created.webhookSecret}</code>. Issues and pull requests arrive with the next
          poll, or at once through the webhook.
        </p>
        <button type="button" onClick={onLinked}>
          Show issues
        </button>
      </div>
    );
  }
  return (
    <form className="stacked-form" onSubmit={submit} aria-label="Link to GitHub" noValidate>
      <h2>Link to GitHub</h2>
      <label>
        GitHub repository{' '}
        <input
          value={repository}
          onChange={(event) => setRepository(event.target.value)}
          placeholder="owner/name or its URL"
          required
        />
      </label>
      <label>
        GitHub Enterprise Server URL (optional){' '}
        <input value={baseUrl} onChange={(event) => setBaseUrl(event.target.value)} />
      </label>
      <label>
        Sync credential id for the API token (optional){' '}
        <input
          value={credentialId}
          inputMode="numeric"
          onChange={(event) => setCredentialId(event.target.value)}
        />
      </label>
      <button type="submit" disabled={save.busy}>
        Link
      </button>
      <MutationStatus mutation={save} />
    </form>
  );
}
