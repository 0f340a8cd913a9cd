import { useEffect } from 'react';
import { apiUrl, useApi, type Page } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { Load } from '../components/status';
import { paths } from '../paths';
import { Link, useLocation } from '../router';
import type { Mergeability, MergeRequest } from '../types';

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

/** Merge requests per page: the API's default, so a link to the list and to page 1 agree. */
const PAGE_SIZE = 30;

/**
 * The merge requests of one status, newest first, a page at a time: the page's cursor is in the
 * address (`?status=open&cursor=…`), so back, forward and reload keep the page.
 */
export function MergeRequestsPage() {
  const location = useLocation();
  const status = location.search.get('status') ?? 'open';
  const cursor = location.search.get('cursor') ?? undefined;
  const list = useApi<Page<MergeRequest>>(
    apiUrl('merge-requests', { status: status === 'all' ? undefined : status, cursor, limit: PAGE_SIZE }),
  );
  const pageUrl = (at: string) =>
    `${paths.mergeRequests()}?${new URLSearchParams({ status, cursor: at }).toString()}`;
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
          const items = data.items;
          if (items.length === 0 && !data.prevCursor) return <p className="muted">No merge requests.</p>;
          return (
            <>
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
              {(data.prevCursor ?? data.nextCursor) && (
                <nav className="pager" aria-label="Pages" data-testid="mr-pager">
                  {data.prevCursor && <Link to={pageUrl(data.prevCursor)}>← Newer</Link>}
                  {data.nextCursor && <Link to={pageUrl(data.nextCursor)}>Older →</Link>}
                </nav>
              )}
            </>
          );
        }}
      />
    </>
  );
}
