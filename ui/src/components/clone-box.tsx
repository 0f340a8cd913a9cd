import { useState } from 'react';
import { apiUrl, useApi } from '../api';
import type { DirectoryView } from '../types';

/** The clone box of a repository page: the directory view of its path holds the URL and rules. */
export function RepoCloneBox({ repo }: { repo: string }) {
  const view = useApi<DirectoryView>(apiUrl('directory', { path: repo }));
  return view.state === 'ready' ? <CloneBox view={view.data} /> : null;
}

/** The clone URL of a path with the rule that governs cloning and pushing there. */
export function CloneBox({ view }: { view: DirectoryView }) {
  const [copied, setCopied] = useState(false);
  const command = `git clone ${view.clone.url}`;
  const copy = () => {
    void navigator.clipboard?.writeText(command).then(() => setCopied(true));
  };
  return (
    <section className={`clone-box ${view.clone.allowed ? '' : 'refused'}`} aria-label="Clone">
      <h2>Clone</h2>
      {view.clone.allowed ? (
        <div className="clone-url">
          <code data-testid="clone-command">{command}</code>
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      ) : (
        <p className="refusal">
          <code>{view.clone.url}</code> cannot be cloned.
        </p>
      )}
      <p data-testid="clone-rule">{view.clone.explanation}</p>
      <p className="muted">{view.push.explanation}</p>
    </section>
  );
}
