import { useEffect, useState } from 'react';
import { apiUrl, useApi, type Page } from '../api';
import type { BranchPage, BranchSummary, TagPage } from '../browse-types';
import { Breadcrumbs } from '../components/breadcrumbs';
import { Load, TimeAgo } from '../components/status';
import { paths } from '../paths';
import { Link, navigate, useLocation } from '../router';
import { RepoTabs, repoCrumbs } from './repo-tree-page';
import '../components/browse.css';

const PAGE_SIZE = 30;

/** Branches (with ahead/behind the default branch) or tags of a repository, filtered and paged. */
export function BranchesPage({ repo, tab }: { repo: string; tab: 'branches' | 'tags' }) {
  const location = useLocation();
  const cursor = location.search.get('cursor') ?? undefined;
  const q = location.search.get('q') ?? '';
  const [filter, setFilter] = useState(q);
  useEffect(() => setFilter(q), [q, tab]);
  useEffect(() => {
    // Filter as one types, without a history entry per keystroke.
    if (filter === q) return;
    const timer = setTimeout(() => {
      const search = new URLSearchParams(filter ? { q: filter } : {}).toString();
      navigate(`${paths[tab](repo)}${search ? `?${search}` : ''}`, { replace: true });
    }, 200);
    return () => clearTimeout(timer);
  }, [filter, q, tab, repo]);
  const title = tab === 'branches' ? 'Branches' : 'Tags';
  const pageUrl = (at: string) =>
    `${paths[tab](repo)}?${new URLSearchParams({ ...(q ? { q } : {}), cursor: at }).toString()}`;
  return (
    <>
      <Breadcrumbs crumbs={[...repoCrumbs(repo, 'HEAD', ''), { label: title }]} />
      <h1 className="visually-hidden">{title}</h1>
      <div className="toolbar">
        <RepoTabs repo={repo} revision="HEAD" path="" active={tab} />
        <label>
          <span className="visually-hidden">Filter {title.toLowerCase()}</span>
          <input
            type="search"
            placeholder={`Filter ${title.toLowerCase()}…`}
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            data-testid="ref-filter"
          />
        </label>
      </div>
      {tab === 'branches' ? (
        <BranchList repo={repo} q={q} cursor={cursor} pageUrl={pageUrl} />
      ) : (
        <TagList repo={repo} q={q} cursor={cursor} pageUrl={pageUrl} />
      )}
    </>
  );
}

interface ListProps {
  repo: string;
  q: string;
  cursor: string | undefined;
  pageUrl: (cursor: string) => string;
}

function Pager({ page, pageUrl }: { page: Page<unknown>; pageUrl: ListProps['pageUrl'] }) {
  return (
    <nav className="pager" aria-label="Pages">
      {page.total !== undefined && <span className="muted">{page.total.toLocaleString()} in all</span>}
      {page.prevCursor && <Link to={pageUrl(page.prevCursor)}>← Previous</Link>}
      {page.nextCursor && <Link to={pageUrl(page.nextCursor)}>Next →</Link>}
    </nav>
  );
}

function count(value: number | undefined, exact: boolean | undefined) {
  return value === undefined ? '' : `${value.toLocaleString()}${exact === false ? '+' : ''}`;
}

function AheadBehind({ branch, base }: { branch: BranchSummary; base: string | null }) {
  if (branch.isDefault) return <span className="badge">default</span>;
  if (branch.ahead === undefined) return null;
  const behind = count(branch.behind, branch.exact);
  const ahead = count(branch.ahead, branch.exact);
  return (
    <span
      className="ahead-behind"
      title={`Against ${base ?? 'the default branch'}`}
      data-testid="ahead-behind"
    >
      {behind} behind · {ahead} ahead
    </span>
  );
}

function BranchList({ repo, q, cursor, pageUrl }: ListProps) {
  const list = useApi<BranchPage>(
    apiUrl('repos/branches', { repo, q: q || undefined, cursor, limit: PAGE_SIZE }),
  );
  return (
    <Load
      value={list}
      render={(data) => (
        <>
          {data.items.length === 0 ? (
            <p className="muted">No branch matches.</p>
          ) : (
            <ul className="ref-list" aria-label="Branches" data-testid="branch-list">
              {data.items.map((branch) => (
                <li key={branch.ref}>
                  <div>
                    <Link className="ref-name" to={paths.tree(repo, branch.name)}>
                      {branch.name}
                    </Link>
                    <div className="muted small">
                      <Link to={paths.commit(repo, branch.commit.id)}>
                        {branch.commit.title || '(no message)'}
                      </Link>{' '}
                      · {branch.commit.author.name} · <TimeAgo seconds={branch.commit.committer.timestamp} />
                    </div>
                  </div>
                  <div>
                    <AheadBehind branch={branch} base={data.defaultBranch} />{' '}
                    {!branch.isDefault && data.defaultBranch && (
                      <Link to={paths.compare(repo, data.defaultBranch, branch.name)}>Compare</Link>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
          <Pager page={data} pageUrl={pageUrl} />
        </>
      )}
    />
  );
}

function TagList({ repo, q, cursor, pageUrl }: ListProps) {
  const list = useApi<TagPage>(apiUrl('repos/tags', { repo, q: q || undefined, cursor, limit: PAGE_SIZE }));
  return (
    <Load
      value={list}
      render={(data) => (
        <>
          {data.items.length === 0 ? (
            <p className="muted">No tag matches.</p>
          ) : (
            <ul className="ref-list" aria-label="Tags" data-testid="tag-list">
              {data.items.map((tag) => (
                <li key={tag.ref}>
                  <div>
                    <Link className="ref-name" to={paths.tree(repo, tag.name)}>
                      {tag.name}
                    </Link>{' '}
                    {tag.annotated && <span className="badge">annotated</span>}
                    <div className="muted small">
                      {tag.message ?? tag.commit?.title ?? ''}
                      {tag.date !== undefined && (
                        <>
                          {' · '}
                          <TimeAgo seconds={tag.date} />
                        </>
                      )}
                    </div>
                  </div>
                  <div>
                    {tag.commit ? (
                      <Link to={paths.commit(repo, tag.commit.id)}>
                        <code>{tag.commit.id.slice(0, 10)}</code>
                      </Link>
                    ) : (
                      <code>{tag.target.slice(0, 10)}</code>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
          <Pager page={data} pageUrl={pageUrl} />
        </>
      )}
    />
  );
}
