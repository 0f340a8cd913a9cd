import { useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { act, type Optional } from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type { MergeBlocker, MergeRequestDetail, MergeStatus } from '../types';
import { ErrorBox } from './status';

type StateAction = 'merge' | 'close' | 'reopen';

/** A reason an action cannot be taken now: a sentence, and a link where one helps. */
type Reason = ReactNode;

/** A refusal answered by the server becomes a reason; anything else stays an error to show. */
function refusalOf(error: Error): string | undefined {
  if (error instanceof ApiError && (error.status === 403 || error.status === 409)) {
    const files = conflictList(error.details.files);
    return files ? `conflicts in ${files}` : error.message;
  }
  return undefined;
}

/** A blocker in words; a conflict names its files ("conflicts in /projects/foo/README.md"). */
function blockerReason(blocker: MergeBlocker): string {
  const files = conflictList(blocker.details?.files);
  return files ? `conflicts in ${files}` : blocker.message;
}

/** `repository/path, …` of a `files` detail, or undefined when it names none. */
function conflictList(files: unknown): string | undefined {
  if (!Array.isArray(files) || files.length === 0) return undefined;
  return (files as Array<{ repository: string; path: string }>)
    .map((file) => `${file.repository}/${file.path}`)
    .join(', ');
}

/** Why Merge is disabled: the gates' blockers, or what is known without the merge-status endpoint. */
function mergeReasons(mr: MergeRequestDetail, status: Optional<MergeStatus>): Reason[] {
  if (status.state === 'ready') {
    return status.data.canMerge ? [] : status.data.blockers.map(blockerReason);
  }
  if (mr.mergeability?.state === 'conflict') {
    return [
      `conflicts in ${mr.mergeability.conflicts.map((file) => `${file.repository}/${file.path}`).join(', ')}`,
    ];
  }
  return [];
}

interface ActionsProps {
  mr: MergeRequestDetail;
  status: Optional<MergeStatus>;
  signedIn: boolean;
  onDone: () => void;
}

/**
 * Merge, Close and Reopen, each with the exact reasons it is disabled (the merge gates' blockers,
 * a refusal the server answered, or signing in). A refusal stays as a reason until the page is
 * loaded again: pressing the button again would be refused the same way.
 */
export function MergeRequestActions({ mr, status, signedIn, onDone }: ActionsProps) {
  const [busy, setBusy] = useState<StateAction>();
  const [refused, setRefused] = useState<Partial<Record<StateAction, string>>>({});
  const [error, setError] = useState<Error>();
  const run = (action: StateAction) => {
    setBusy(action);
    setError(undefined);
    act(mr.number, action)
      .then(
        () => {
          setRefused({});
          onDone();
        },
        (caught: unknown) => {
          const failure = caught instanceof Error ? caught : new Error(String(caught));
          const reason = refusalOf(failure);
          if (reason) setRefused((current) => ({ ...current, [action]: reason }));
          else setError(failure);
          // The gates may have changed since the page loaded: show their current verdict.
          onDone();
        },
      )
      .finally(() => setBusy(undefined));
  };
  const reasonsFor = (action: StateAction): Reason[] => {
    if (!signedIn) {
      return [
        <>
          <Link to={paths.signIn()}>sign in</Link> to {action}
        </>,
      ];
    }
    const own = action === 'merge' ? mergeReasons(mr, status) : [];
    const refusal = refused[action];
    return refusal && !own.includes(refusal) ? [...own, refusal] : own;
  };
  const shown: StateAction[] =
    mr.status === 'open' ? ['merge', 'close'] : mr.status === 'closed' ? ['reopen'] : [];
  if (mr.status === 'merging') return <p role="status">Merging…</p>;
  const actions = shown.map((action) => ({ action, reasons: reasonsFor(action) }));
  return (
    <div className="mr-actions">
      <div className="actions">
        {actions.map(({ action, reasons }) => (
          <button
            key={action}
            type="button"
            className={action === 'merge' ? 'primary' : undefined}
            disabled={
              busy !== undefined ||
              reasons.length > 0 ||
              (action === 'merge' && signedIn && status.state === 'loading')
            }
            aria-describedby={reasons.length > 0 ? `${action}-reasons` : undefined}
            onClick={() => run(action)}
          >
            {LABEL[action]}
          </button>
        ))}
      </div>
      {actions.map(
        ({ action, reasons }) =>
          reasons.length > 0 && <Reasons key={action} action={action} reasons={reasons} />,
      )}
      {error && <ErrorBox error={error} />}
    </div>
  );
}

const LABEL: Record<StateAction, string> = { merge: 'Merge', close: 'Close', reopen: 'Reopen' };

/** Why an action is disabled, in words, right under the buttons (the button points here). */
function Reasons({ action, reasons }: { action: StateAction; reasons: Reason[] }) {
  return (
    <div className="disabled-reasons">
      <span className="small">{LABEL[action]} is disabled:</span>
      <ul
        id={`${action}-reasons`}
        data-testid={`${action}-reasons`}
        aria-label={`Why ${LABEL[action]} is disabled`}
      >
        {reasons.map((reason, index) => (
          <li key={index}>{reason}</li>
        ))}
      </ul>
    </div>
  );
}
