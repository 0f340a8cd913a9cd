import { useId, useState, type FormEvent } from 'react';
import { apiRequest, apiUrl } from '../api';
import { useMutation, MutationStatus } from './mutation';

/** What `POST /api/v1/commits` answers (docs/commits-api.md). */
interface CommitResult {
  commit: string;
  branch: string;
  outcome: 'merge_request' | 'branch';
  mergeRequest?: { number: number; url: string };
}

interface CommitTarget {
  /** The path being browsed (`/projects/foo`, `/import/bar`). */
  repo: string;
  /** The revision shown: a branch name moves that branch under /import. */
  revision: string;
  /** The commit the page shows: the base of the change. */
  base: string;
}

type Action =
  { action: 'create' | 'update'; filePath: string; content: string } | { action: 'delete'; filePath: string };

/** The branch to name: under /import the branch browsed; views propose on their own branch. */
function branchOf(target: CommitTarget): string | undefined {
  if (!target.repo.startsWith('/import/') || target.revision === 'HEAD') return undefined;
  return /^[0-9a-f]{40}$/.test(target.revision) ? undefined : target.revision;
}

async function commitActions(
  target: CommitTarget,
  message: string,
  actions: Action[],
): Promise<CommitResult> {
  const branch = branchOf(target);
  return apiRequest<CommitResult>('POST', apiUrl('commits'), {
    path: target.repo,
    base: target.base,
    message,
    actions,
    ...(branch ? { branch } : {}),
  });
}

/** Where the change went: the merge request to review, or the branch that moved. */
function CommitOutcome({ result }: { result: CommitResult | undefined }) {
  if (!result) return null;
  return (
    <p role="status" data-testid="commit-outcome">
      {result.mergeRequest ? (
        <>
          Merge request <a href={result.mergeRequest.url}>!{result.mergeRequest.number}</a> opened with your
          change.
        </>
      ) : (
        <>
          Committed <code>{result.commit.slice(0, 10)}</code> to {result.branch.replace(/^refs\/heads\//, '')}
          .
        </>
      )}
    </p>
  );
}

/**
 * A textarea editor for one file (edit) or a new one (new file), committed through the commits
 * API on the commit the page shows: a merge request under /projects, the branch under /import.
 */
export function FileEditor(
  props: CommitTarget & { path: string; content?: string; isNew: boolean; onClose: () => void },
) {
  const id = useId();
  const [path, setPath] = useState(props.path);
  const [content, setContent] = useState(props.content ?? '');
  const [message, setMessage] = useState(props.isNew ? '' : `Update ${props.path}`);
  const [result, setResult] = useState<CommitResult>();
  const mutation = useMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setResult(undefined);
    await mutation.run(async () => {
      const action = props.isNew ? 'create' : 'update';
      setResult(
        await commitActions(props, message || `${props.isNew ? 'Add' : 'Update'} ${path}`, [
          { action, filePath: path, content },
        ]),
      );
    });
  };
  return (
    <form
      className="file-editor"
      onSubmit={(event) => void submit(event)}
      aria-label={props.isNew ? 'New file' : `Edit ${props.path}`}
    >
      {props.isNew && (
        <p>
          <label htmlFor={`${id}-path`}>File path</label>
          <input
            id={`${id}-path`}
            value={path}
            onChange={(event) => setPath(event.target.value)}
            required
            placeholder="docs/notes.md"
          />
        </p>
      )}
      <p>
        <label htmlFor={`${id}-content`}>Content</label>
        <textarea
          id={`${id}-content`}
          value={content}
          onChange={(event) => setContent(event.target.value)}
          rows={Math.min(40, Math.max(10, content.split('\n').length + 2))}
          spellCheck={false}
          style={{ width: '100%', fontFamily: 'monospace' }}
        />
      </p>
      <CommitMessageField id={`${id}-message`} value={message} onChange={setMessage} />
      <p>
        <button type="submit" disabled={mutation.busy || result !== undefined || path.trim() === ''}>
          Commit changes
        </button>{' '}
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </p>
      <MutationStatus mutation={mutation} />
      <CommitOutcome result={result} />
    </form>
  );
}

/** Deleting the file shown, with a commit message, through the commits API. */
export function DeleteFileForm(props: CommitTarget & { path: string; onClose: () => void }) {
  const id = useId();
  const [message, setMessage] = useState(`Delete ${props.path}`);
  const [result, setResult] = useState<CommitResult>();
  const mutation = useMutation();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await mutation.run(async () => {
      setResult(await commitActions(props, message, [{ action: 'delete', filePath: props.path }]));
    });
  };
  return (
    <form
      className="file-editor"
      onSubmit={(event) => void submit(event)}
      aria-label={`Delete ${props.path}`}
    >
      <CommitMessageField id={`${id}-message`} value={message} onChange={setMessage} />
      <p>
        <button type="submit" disabled={mutation.busy || result !== undefined}>
          Delete {props.path}
        </button>{' '}
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </p>
      <MutationStatus mutation={mutation} />
      <CommitOutcome result={result} />
    </form>
  );
}

/** The commit message of an edit, required. */
function CommitMessageField(props: { id: string; value: string; onChange: (value: string) => void }) {
  return (
    <p>
      <label htmlFor={props.id}>Commit message</label>
      <input
        id={props.id}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        required
      />
    </p>
  );
}
