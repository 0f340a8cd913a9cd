import { useState } from 'react';
import { ApiError, apiRequest, apiUrl, useApi } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { DiffView } from '../components/diff-view';
import { ErrorBox, Load } from '../components/status';
import { paths } from '../paths';
import { Link, useLocation } from '../router';
import type { Diff } from '../types';

export interface MergeRequestChange {
  repoPath: string;
  baseCommit: string;
  headCommit: string;
  mergedCommit?: string;
}

export interface MergeRequest {
  number: number;
  title: string;
  status: 'open' | 'merging' | 'merged' | 'closed';
  viewPath: string;
  author: string;
  createdAt: string;
  updatedAt: string;
  changes: MergeRequestChange[];
  events?: Array<{ action: string; actor: string; detail?: string; at: string }>;
  /** Per-repository diffs, when the server includes them. */
  diffs?: Array<{ repoPath: string; diff?: Diff; files?: Diff['files']; truncated?: boolean }>;
}

/** Accepts the list as an array or wrapped (`{items}`, `{merge_requests}`, `{mergeRequests}`). */
function listOf(data: unknown): MergeRequest[] {
  if (Array.isArray(data)) return data as MergeRequest[];
  const wrapped = data as Record<string, unknown>;
  for (const key of ['items', 'merge_requests', 'mergeRequests', 'data']) {
    if (Array.isArray(wrapped?.[key])) return wrapped[key] as MergeRequest[];
  }
  return [];
}

const STATUSES = ['open', 'merged', 'closed', 'all'] as const;

export function MergeRequestsPage() {
  const location = useLocation();
  const status = location.search.get('status') ?? 'open';
  const list = useApi<unknown>(apiUrl('merge-requests', { status: status === 'all' ? undefined : status }));
  return (
    <>
      <Breadcrumbs crumbs={[{ label: 'Merge requests' }]} />
      <nav className="tabs" aria-label="Merge request status">
        {STATUSES.map((name) => (
          <Link
            key={name}
            to={`${paths.mergeRequests()}?status=${name}`}
            aria-current={name === status ? 'page' : undefined}
          >
            {name}
          </Link>
        ))}
      </nav>
      <Load
        value={list}
        render={(data) => {
          const items = listOf(data);
          if (items.length === 0) return <p className="muted">No merge requests.</p>;
          return (
            <ol className="mr-list" aria-label="Merge requests">
              {items.map((mr) => (
                <li key={mr.number}>
                  <Link to={paths.mergeRequest(mr.number)} className="commit-title">
                    !{mr.number} {mr.title}
                  </Link>{' '}
                  <span className={`badge mr-${mr.status}`}>{mr.status}</span>
                  <div className="muted">
                    {mr.viewPath} · by {mr.author} · {new Date(mr.createdAt).toLocaleString()}
                  </div>
                </li>
              ))}
            </ol>
          );
        }}
      />
    </>
  );
}

export function MergeRequestPage({ number }: { number: string }) {
  const detail = useApi<MergeRequest>(apiUrl(`merge-requests/${encodeURIComponent(number)}`));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const act = (action: 'merge' | 'close' | 'reopen') => {
    setBusy(true);
    setError(undefined);
    apiRequest('POST', apiUrl(`merge-requests/${encodeURIComponent(number)}/${action}`), {})
      .then(
        () => detail.reload(),
        (caught: unknown) =>
          setError(caught instanceof Error ? caught : new ApiError(0, 'error', String(caught))),
      )
      .finally(() => setBusy(false));
  };
  return (
    <Load
      value={detail}
      render={(mr) => (
        <>
          <Breadcrumbs
            crumbs={[{ label: 'Merge requests', to: paths.mergeRequests() }, { label: `!${mr.number}` }]}
          />
          <header className="commit-header">
            <h1>
              {mr.title} <span className="muted">!{mr.number}</span>
            </h1>
            <p>
              <span className={`badge mr-${mr.status}`} data-testid="mr-status">
                {mr.status}
              </span>{' '}
              pushed to <Link to={paths.directory(mr.viewPath)}>{mr.viewPath}</Link> by {mr.author}
            </p>
            {mr.status === 'open' && (
              <div className="actions">
                <button type="button" className="primary" disabled={busy} onClick={() => act('merge')}>
                  Merge
                </button>
                <button type="button" disabled={busy} onClick={() => act('close')}>
                  Close
                </button>
              </div>
            )}
            {mr.status === 'closed' && (
              <div className="actions">
                <button type="button" disabled={busy} onClick={() => act('reopen')}>
                  Reopen
                </button>
              </div>
            )}
            {error && <ErrorBox error={error} />}
          </header>
          <MergeRequestChanges mr={mr} />
          {mr.events && mr.events.length > 0 && (
            <section aria-label="Activity">
              <h2>Activity</h2>
              <ul className="events">
                {mr.events.map((event, index) => (
                  <li key={index}>
                    {new Date(event.at).toLocaleString()} — {event.actor} {event.action}
                    {event.detail ? `: ${event.detail}` : ''}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    />
  );
}

function MergeRequestChanges({ mr }: { mr: MergeRequest }) {
  return (
    <>
      {mr.changes.map((change) => {
        const included = mr.diffs?.find((item) => item.repoPath === change.repoPath);
        const diff =
          included?.diff ??
          (included?.files ? { files: included.files, truncated: included.truncated ?? false } : undefined);
        return (
          <section key={change.repoPath} aria-label={`Changes in ${change.repoPath}`}>
            <h2>
              <Link to={paths.directory(change.repoPath)}>{change.repoPath}</Link>{' '}
              <small className="muted">
                {change.baseCommit.slice(0, 10)} → {change.headCommit.slice(0, 10)}
              </small>
            </h2>
            {diff ? <DiffView diff={diff} /> : <CompareDiff change={change} />}
          </section>
        );
      })}
    </>
  );
}

function CompareDiff({ change }: { change: MergeRequestChange }) {
  const compare = useApi<{ diff: Diff }>(
    apiUrl('repos/compare', { repo: change.repoPath, from: change.baseCommit, to: change.headCommit }),
  );
  return <Load value={compare} render={(data) => <DiffView diff={data.diff} />} />;
}
