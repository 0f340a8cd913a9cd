import { useEffect } from 'react';
import { apiUrl, useApi } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { Load } from '../components/status';
import { paths } from '../paths';
import { Link, useLocation } from '../router';
import type { Mergeability, MergeRequest } from '../types';

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

const MERGEABILITY_LABEL: Record<Mergeability['state'], string> = {
  clean: 'mergeable',
  conflict: 'conflict',
  unknown: 'mergeability unknown',
};

/** Whether an open merge request merges cleanly; merged and closed ones show nothing. */
export function MergeabilityBadge({ mr }: { mr: MergeRequest }) {
  if (mr.status !== 'open' || !mr.mergeability) return null;
  const { state, conflicts } = mr.mergeability;
  const files = conflicts.map((file) => `${file.repository}/${file.path}`).join(', ');
  return (
    <span
      className={`badge mergeable-${state}`}
      data-testid="mr-mergeability"
      title={state === 'conflict' ? `Conflicts in ${files}` : undefined}
    >
      {MERGEABILITY_LABEL[state]}
    </span>
  );
}

export function MergeRequestsPage() {
  const location = useLocation();
  const status = location.search.get('status') ?? 'open';
  const list = useApi<unknown>(apiUrl('merge-requests', { status: status === 'all' ? undefined : status }));
  useEffect(() => {
    document.title = 'Merge requests · Mega';
  }, []);
  return (
    <>
      <Breadcrumbs crumbs={[{ label: 'Merge requests' }]} />
      <h1>Merge requests</h1>
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
                  <span className={`badge mr-${mr.status}`}>{mr.status}</span> <MergeabilityBadge mr={mr} />
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
