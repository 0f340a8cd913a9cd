import { apiUrl, useApi, type Page } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { DiffView } from '../components/diff-view';
import { Load, TimeAgo } from '../components/status';
import { usePageTitle } from '../page-title';
import { paths } from '../paths';
import { Link, useLocation } from '../router';
import type { Commit, Diff } from '../types';
import { RefPicker, RepoTabs, repoCrumbs } from './repo-tree-page';

/** Paged history of a repository (or of one path in it), newest first. */
export function CommitsPage({ repo, revision, path }: { repo: string; revision: string; path: string }) {
  const location = useLocation();
  const cursor = location.search.get('cursor') ?? undefined;
  const log = useApi<Page<Commit>>(
    apiUrl('repos/commits', { repo, ref: revision, path: path || undefined, cursor }),
  );
  const base = paths.commits(repo, revision, path);
  usePageTitle('History', path || undefined, repo);
  return (
    <>
      <Breadcrumbs crumbs={[...repoCrumbs(repo, revision, path), { label: 'History' }]} />
      <h1 className="page-title">History of {path ? `${repo}/${path}` : repo}</h1>
      <div className="toolbar">
        <RefPicker repo={repo} revision={revision} page="commits" path={path} />
        <RepoTabs repo={repo} revision={revision} path={path} active="commits" />
      </div>
      <Load
        value={log}
        render={(data) => (
          <>
            <ol className="commit-list" aria-label="Commits">
              {data.items.map((commit) => (
                <li key={commit.id}>
                  <Link to={paths.commit(repo, commit.id)} className="commit-title">
                    {commit.title || '(no message)'}
                  </Link>
                  <div className="muted">
                    {commit.author.name} committed <TimeAgo seconds={commit.committer.timestamp} /> ·{' '}
                    <code>{commit.id.slice(0, 10)}</code>
                  </div>
                </li>
              ))}
            </ol>
            <nav className="pager" aria-label="Pages">
              {data.prevCursor && <Link to={`${base}?cursor=${data.prevCursor}`}>← Newer</Link>}
              {data.nextCursor && <Link to={`${base}?cursor=${data.nextCursor}`}>Older →</Link>}
            </nav>
          </>
        )}
      />
    </>
  );
}

interface CommitDetail extends Commit {
  diff: Diff;
}

export function CommitPage({ repo, id }: { repo: string; id: string }) {
  const commit = useApi<CommitDetail>(apiUrl('repos/commit', { repo, id }));
  usePageTitle(commit.state === 'ready' ? commit.data.title : id.slice(0, 10), repo);
  return (
    <Load
      value={commit}
      render={(data) => {
        const body = data.message.split('\n').slice(1).join('\n').trim();
        return (
          <>
            <Breadcrumbs crumbs={[...repoCrumbs(repo, data.id, ''), { label: data.id.slice(0, 10) }]} />
            <header className="commit-header">
              <h1>{data.title || '(no message)'}</h1>
              {body && <pre className="commit-body">{body}</pre>}
              <p className="muted">
                {data.author.name} &lt;{data.author.email}&gt; authored{' '}
                <TimeAgo seconds={data.author.timestamp} />
              </p>
              <p className="muted">
                commit <code>{data.id}</code>
                {data.parents.map((parent) => (
                  <span key={parent}>
                    {' '}
                    · parent <Link to={paths.commit(repo, parent)}>{parent.slice(0, 10)}</Link>
                  </span>
                ))}{' '}
                · <Link to={paths.tree(repo, data.id)}>Browse files</Link>
              </p>
            </header>
            <DiffView diff={data.diff} />
          </>
        );
      }}
    />
  );
}
