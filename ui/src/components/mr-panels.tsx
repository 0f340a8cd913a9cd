import type { ReactNode } from 'react';
import { act, combineChecks, fetchHeadStatuses, useOptional, type Optional } from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type { CheckStatus, CurrentUser, MergeRequestDetail, MergeStatus } from '../types';
import { MutationStatus, useMutation } from './mutation';
import { ErrorBox } from './status';

function Panel({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section className="mr-panel" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Loading, unavailable (an older server), the error, or the data. */
function OptionalBody<T>({ value, render }: { value: Optional<T>; render: (data: T) => ReactNode }) {
  if (value.state === 'loading') return <p className="muted">Loading…</p>;
  if (value.state === 'unavailable') return <p className="muted">Not available on this server.</p>;
  if (value.state === 'error') return <ErrorBox error={value.error} />;
  return <>{render(value.data)}</>;
}

/** A panel fed by `GET …/merge-status`. */
function StatusPanel(props: {
  title: string;
  testId: string;
  status: Optional<MergeStatus>;
  render: (status: MergeStatus) => ReactNode;
}) {
  return (
    <Panel title={props.title} testId={props.testId}>
      <OptionalBody value={props.status} render={props.render} />
    </Panel>
  );
}

interface PanelProps {
  mr: MergeRequestDetail;
  status: Optional<MergeStatus>;
  user: CurrentUser | undefined;
  signedIn: boolean;
  onChanged: () => void;
}

export function ApprovalsPanel({ mr, status, user, signedIn, onChanged }: PanelProps) {
  const mutation = useMutation();
  return (
    <StatusPanel
      title="Approvals"
      testId="approvals-panel"
      status={status}
      render={({ approvals }) => {
        if (!approvals) return <p className="muted">No approval information.</p>;
        const mine = user !== undefined && approvals.approvedBy.includes(user.username);
        const own = user !== undefined && user.username === mr.author;
        const action = mine ? 'unapprove' : 'approve';
        const given = approvals.approvedBy.length;
        const missing = Math.max(0, approvals.required - given);
        return (
          <>
            <p data-testid="approvals-count">
              {approvals.required === 0
                ? `${given} approval${given === 1 ? '' : 's'} · none required`
                : `${given} of ${approvals.required} required approval${approvals.required === 1 ? '' : 's'}` +
                  (missing > 0 ? ` · ${missing} more needed` : ' · satisfied')}
            </p>
            {approvals.approvedBy.length > 0 && (
              <p className="small">Approved by {approvals.approvedBy.join(', ')}</p>
            )}
            {approvals.stale.length > 0 && (
              <p className="small muted" title="They approved an earlier push; it no longer counts">
                Approved an earlier push: {approvals.stale.join(', ')}
              </p>
            )}
            {mr.status === 'open' &&
              (own ? (
                <p className="muted small">Authors cannot approve their own merge requests.</p>
              ) : signedIn ? (
                <button
                  type="button"
                  disabled={mutation.busy}
                  onClick={() =>
                    void mutation.run(() => act(mr.number, action)).then((done) => done && onChanged())
                  }
                >
                  {mine ? 'Unapprove' : 'Approve'}
                </button>
              ) : (
                <p className="muted small">
                  <Link to={paths.signIn()}>Sign in</Link> to approve.
                </p>
              ))}
            <MutationStatus mutation={mutation} />
          </>
        );
      }}
    />
  );
}

/** Repositories whose target moved since the change was based on it. */
function movedTargets(mr: MergeRequestDetail): string[] {
  const targets = mr.mergeability?.targets ?? {};
  return mr.changes
    .filter(
      (change) => targets[change.repoPath] !== undefined && targets[change.repoPath] !== change.baseCommit,
    )
    .map((change) => change.repoPath);
}

export function MergeabilityPanel({ mr, signedIn, onChanged }: Omit<PanelProps, 'status' | 'user'>) {
  const mutation = useMutation();
  const mergeability = mr.mergeability;
  const state = mergeability?.state ?? 'unknown';
  const moved = movedTargets(mr);
  const target = mr.targetBranch ?? "each repository's default branch";
  return (
    <Panel title="Mergeability" testId="mergeability-panel">
      <p>
        <span className={`badge mergeable-${state}`} data-testid="mergeability">
          {state === 'clean' ? 'clean' : state === 'conflict' ? 'conflict' : 'unknown'}
        </span>{' '}
        {state === 'clean' && `Merges cleanly into ${target}.`}
        {state === 'conflict' && `Conflicts with ${target}:`}
        {state === 'unknown' && 'Not computed yet.'}
      </p>
      {state === 'conflict' && (
        <ul aria-label="Conflicting files">
          {mergeability?.conflicts.map((file) => (
            <li key={`${file.repository}:${file.path}`}>
              <code>
                {file.repository}/{file.path}
              </code>
            </li>
          ))}
        </ul>
      )}
      {mergeability?.checkedAt && (
        <p className="muted small">Checked {new Date(mergeability.checkedAt).toLocaleString()}</p>
      )}
      {mr.status === 'open' && moved.length > 0 && (
        <div>
          <p className="small">The target moved in {moved.join(', ')}.</p>
          <button
            type="button"
            disabled={!signedIn || mutation.busy || state === 'conflict'}
            aria-describedby="update-reason"
            onClick={() =>
              void mutation.run(() => act(mr.number, 'update')).then((done) => done && onChanged())
            }
          >
            Update from target
          </button>
          {(!signedIn || state === 'conflict') && (
            <p id="update-reason" className="muted small">
              {!signedIn
                ? 'Sign in to update.'
                : 'Only a clean merge request can be updated onto its target.'}
            </p>
          )}
        </div>
      )}
      <MutationStatus mutation={mutation} />
    </Panel>
  );
}

const CHECK_LABEL: Record<CheckStatus['state'], string> = {
  success: 'passed',
  failure: 'failing',
  error: 'error',
  pending: 'pending',
  missing: 'not reported',
};

function checksView(posted: Optional<CheckStatus[]>, status: Optional<MergeStatus>): Optional<CheckStatus[]> {
  const gate = status.state === 'ready' ? (status.data.checks ?? []) : [];
  if (posted.state === 'ready') return { state: 'ready', data: combineChecks(posted.data, gate) };
  if (posted.state !== 'unavailable') return posted;
  // A server without commit statuses: what the merge status says, if it answers.
  return status.state === 'ready' ? { state: 'ready', data: gate } : status;
}

/** Posted statuses of the heads (with links) and the required contexts of the merge status. */
export function ChecksPanel({ mr, status }: { mr: MergeRequestDetail; status: Optional<MergeStatus> }) {
  const heads = mr.changes.map((change) => change.headCommit).join(',');
  const posted = useOptional(`${mr.number}:${heads}`, () => fetchHeadStatuses(mr.changes));
  const shown = checksView(posted, status);
  return (
    <Panel title="Checks" testId="checks-panel">
      <OptionalBody
        value={shown}
        render={(checks) =>
          checks.length === 0 ? (
            <p className="muted">No checks reported on the heads.</p>
          ) : (
            <ul className="check-list">
              {checks.map((check) => (
                <li key={`${check.repoPath}:${check.context}`} data-testid="check">
                  <span className={`badge check-${check.state}`}>{CHECK_LABEL[check.state]}</span>{' '}
                  {check.targetUrl ? (
                    <a href={check.targetUrl}>{check.context}</a>
                  ) : (
                    <strong>{check.context}</strong>
                  )}
                  {check.required && <span className="muted small"> (required)</span>}
                  <div className="muted small">
                    {check.repoPath}
                    {check.commit ? ` @ ${check.commit.slice(0, 10)}` : ''}
                    {check.description ? ` · ${check.description}` : ''}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      />
    </Panel>
  );
}

export function CodeOwnersPanel({ status }: { status: Optional<MergeStatus> }) {
  return (
    <StatusPanel
      title="Code owners"
      testId="code-owners-panel"
      status={status}
      render={({ codeOwners, warnings }) => (
        <>
          {!codeOwners || codeOwners.length === 0 ? (
            <p className="muted">No code owners for the touched paths.</p>
          ) : (
            <ul className="owner-list">
              {codeOwners.map((rule, index) => (
                <li key={`${rule.source ?? ''}:${rule.line ?? index}:${rule.pattern}`}>
                  <span className={`badge ${rule.satisfied ? 'owners-ok' : 'owners-missing'}`}>
                    {rule.satisfied ? 'approved' : rule.optional ? 'optional' : 'needs approval'}
                  </span>{' '}
                  <code>{rule.pattern}</code>
                  <div className="small">{rule.owners.join(', ')}</div>
                  <div className="muted small">
                    {rule.paths.join(', ')}
                    {rule.source ? ` · ${rule.source}${rule.line ? `:${rule.line}` : ''}` : ''}
                    {rule.approvedBy.length > 0 ? ` · approved by ${rule.approvedBy.join(', ')}` : ''}
                  </div>
                </li>
              ))}
            </ul>
          )}
          {warnings.length > 0 && (
            <ul className="muted small" aria-label="Code owners warnings">
              {warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          )}
        </>
      )}
    />
  );
}
