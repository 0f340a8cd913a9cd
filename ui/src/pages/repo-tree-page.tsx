import { useEffect, useState } from 'react';
import { ApiError, apiUrl, useApi } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { BlobContent, displaySize, fileName, lfsPointerOf } from '../components/blob-content';
import { DeleteFileForm, FileEditor } from '../components/file-editor';
import { useSignedIn } from '../current-user';
import { Icon, type IconName } from '../components/icon';
import { RawDownload } from '../components/raw-download';
import { ReadmePanel } from '../components/readme-panel';
import { AccessPanel } from '../components/access-panel';
import { RepoSettings } from '../components/repo-settings';
import { Load } from '../components/status';
import { paths } from '../paths';
import { Link, navigate } from '../router';
import type { TreeInfo } from '../browse-types';
import { RepoCloneBox } from '../components/clone-box';
import { RefPicker as SearchableRefPicker } from '../components/ref-picker';
import { formatBytes, TimeAgo } from '../components/status';
import type { BlobView, TreeEntry, TreeListing } from '../types';
import { directoryCrumbs } from './directory-page';

const ENTRY_ICON: Record<TreeEntry['kind'], IconName> = {
  tree: 'folder',
  blob: 'file',
  symlink: 'symlink',
  gitlink: 'submodule',
};

/** Breadcrumbs of a path inside a repository, rooted in the Mega directory. */
export function repoCrumbs(repo: string, revision: string, path: string) {
  const segments = path.split('/').filter(Boolean);
  return [
    ...directoryCrumbs(repo).map((crumb, index, all) =>
      index === all.length - 1 ? { ...crumb, to: paths.tree(repo, revision) } : crumb,
    ),
    ...segments.map((segment, index) => ({
      label: segment,
      to: paths.tree(repo, revision, segments.slice(0, index + 1).join('/')),
    })),
  ];
}

/** Branch and tag picker (`components/ref-picker.tsx`); choosing opens the same page at that revision. */
export function RefPicker({
  repo,
  revision,
  page,
  path,
}: {
  repo: string;
  revision: string;
  page: 'tree' | 'commits';
  path: string;
}) {
  return (
    <SearchableRefPicker repo={repo} revision={revision} hrefFor={(name) => paths[page](repo, name, path)} />
  );
}

export function RepoTabs({
  repo,
  revision,
  path,
  active,
}: {
  repo: string;
  revision: string;
  path: string;
  active: 'files' | 'commits' | 'branches' | 'tags' | 'compare' | 'issues' | 'pulls';
}) {
  return (
    <nav className="tabs" aria-label="Repository">
      <Link to={paths.tree(repo, revision, path)} aria-current={active === 'files' ? 'page' : undefined}>
        Files
      </Link>
      <Link to={paths.commits(repo, revision, path)} aria-current={active === 'commits' ? 'page' : undefined}>
        History
      </Link>
      <Link to={paths.branches(repo)} aria-current={active === 'branches' ? 'page' : undefined}>
        Branches
      </Link>
      <Link to={paths.tags(repo)} aria-current={active === 'tags' ? 'page' : undefined}>
        Tags
      </Link>
      <Link to={paths.compare(repo)} aria-current={active === 'compare' ? 'page' : undefined}>
        Compare
      </Link>
      {repo.startsWith('/import/') && (
        <>
          <Link to={paths.githubIssues(repo)} aria-current={active === 'issues' ? 'page' : undefined}>
            Issues
          </Link>
          <Link to={paths.githubPulls(repo)} aria-current={active === 'pulls' ? 'page' : undefined}>
            Pull requests
          </Link>
        </>
      )}
    </nav>
  );
}

/** The files of a repository at a revision and path, with the README shown below. */
export function RepoTree({ repo, revision, path }: { repo: string; revision: string; path: string }) {
  const tree = useApi<TreeListing>(apiUrl('repos/tree', { repo, ref: revision, path }));
  const isFile =
    tree.state === 'error' && tree.error instanceof ApiError && tree.error.code === 'path_not_tree';
  useEffect(() => {
    // A file reached through a directory link (breadcrumbs of a file's history) opens as a file.
    if (isFile) navigate(paths.blob(repo, revision, path), { replace: true });
  }, [isFile, repo, revision, path]);
  const signedIn = useSignedIn();
  const [creating, setCreating] = useState(false);
  return (
    <section aria-label="Files">
      <div className="toolbar">
        <RefPicker repo={repo} revision={revision} page="tree" path={path} />
        <RepoTabs repo={repo} revision={revision} path={path} active="files" />
        {signedIn && tree.state === 'ready' && (
          <button type="button" onClick={() => setCreating(true)} aria-expanded={creating}>
            New file
          </button>
        )}
      </div>
      <Load
        value={tree}
        render={(data) => (
          <>
            {creating && (
              <FileEditor
                repo={repo}
                revision={revision}
                base={data.commit}
                path={path ? `${path}/` : ''}
                isNew
                onClose={() => setCreating(false)}
              />
            )}
            <TreeTable repo={repo} revision={revision} path={path} entries={data.entries} />
            <Readme repo={repo} revision={revision} entries={data.entries} />
          </>
        )}
      />
    </section>
  );
}

/** Rows rendered at first; a huge directory shows the rest on request (as large forges do). */
const FIRST_ROWS = 1000;

function TreeTable(props: { repo: string; revision: string; path: string; entries: readonly TreeEntry[] }) {
  const { repo, revision, path, entries } = props;
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? entries : entries.slice(0, FIRST_ROWS);
  // Sizes and last commits come from a second, slower request: the names show at once.
  const info = useApi<TreeInfo>(apiUrl('repos/tree-info', { repo, ref: revision, path }));
  const details = new Map(
    info.state === 'ready' ? info.data.entries.map((entry) => [entry.name, entry]) : [],
  );
  const unknown = info.state === 'ready' ? '—' : info.state === 'error' ? '' : '…';
  return (
    <>
      <table className="listing" aria-label="Files" data-testid="tree-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="entry-commit">
              Last commit
            </th>
            <th scope="col" className="entry-time">
              Updated
            </th>
            <th scope="col" className="entry-size">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {path && (
            <tr>
              <td colSpan={4}>
                <Link to={paths.tree(repo, revision, path.split('/').slice(0, -1).join('/'))}>..</Link>
              </td>
            </tr>
          )}
          {shown.map((entry) => (
            <tr key={entry.path}>
              <td>
                <Icon name={ENTRY_ICON[entry.kind]} />{' '}
                {entry.kind === 'gitlink' ? (
                  <span>{entry.name}</span>
                ) : (
                  <Link
                    to={
                      entry.kind === 'tree'
                        ? paths.tree(repo, revision, entry.path)
                        : paths.blob(repo, revision, entry.path)
                    }
                  >
                    {entry.name}
                  </Link>
                )}
              </td>
              <EntryDetails repo={repo} detail={details.get(entry.name)} unknown={unknown} />
            </tr>
          ))}
        </tbody>
      </table>
      {info.state === 'ready' && !info.data.complete && (
        <p className="muted small">
          Last commits searched in the newest {info.data.walked.toLocaleString()} commits only: — means older.
        </p>
      )}
      {shown.length < entries.length && (
        <p>
          Showing {shown.length.toLocaleString()} of {entries.length.toLocaleString()} entries.{' '}
          <button type="button" onClick={() => setShowAll(true)}>
            Show all
          </button>
        </p>
      )}
    </>
  );
}

function EntryDetails({
  repo,
  detail,
  unknown,
}: {
  repo: string;
  detail: TreeInfo['entries'][number] | undefined;
  unknown: string;
}) {
  const commit = detail?.lastCommit;
  return (
    <>
      <td className="entry-commit">
        {commit ? (
          <Link to={paths.commit(repo, commit.id)} title={commit.title}>
            {commit.title || commit.id.slice(0, 10)}
          </Link>
        ) : (
          unknown
        )}
      </td>
      <td className="entry-time">{commit ? <TimeAgo seconds={commit.committer.timestamp} /> : unknown}</td>
      <td className="entry-size">{detail?.size !== undefined ? formatBytes(detail.size) : ''}</td>
    </>
  );
}

function Readme({
  repo,
  revision,
  entries,
}: {
  repo: string;
  revision: string;
  entries: readonly TreeEntry[];
}) {
  const readme = entries.find(
    (entry) => entry.kind === 'blob' && /^readme(\.(md|txt|rst))?$/i.test(entry.name),
  );
  return <ReadmePanel file={readme && { name: readme.name, repo, ref: revision, path: readme.path }} />;
}

export function RepoTreePage({ repo, revision, path }: { repo: string; revision: string; path: string }) {
  return (
    <>
      <Breadcrumbs crumbs={repoCrumbs(repo, revision, path)} />
      {/* The breadcrumbs show the path; the heading names the page for assistive technology. */}
      <h1 className="visually-hidden">{path ? `${repo}/${path}` : repo}</h1>
      {path === '' && <RepoCloneBox repo={repo} />}
      <RepoTree repo={repo} revision={revision} path={path} />
      {path === '' && <RepoSettings repo={repo} />}
      {path === '' && <AccessPanel path={repo} repository />}
    </>
  );
}

export function BlobPage({ repo, revision, path }: { repo: string; revision: string; path: string }) {
  const blob = useApi<BlobView>(apiUrl('repos/blob', { repo, ref: revision, path }));
  const signedIn = useSignedIn();
  const [editing, setEditing] = useState<'edit' | 'delete'>();
  const isFolder =
    blob.state === 'error' && blob.error instanceof ApiError && blob.error.code === 'path_not_file';
  useEffect(() => {
    // A folder reached through a file link (a README's `docs` link) opens as a folder.
    if (isFolder) navigate(paths.tree(repo, revision, path), { replace: true });
  }, [isFolder, repo, revision, path]);
  return (
    <>
      <Breadcrumbs crumbs={repoCrumbs(repo, revision, path)} />
      <h1 className="visually-hidden">{`${repo}/${path}`}</h1>
      <Load
        value={blob}
        render={(data) => (
          <section aria-label="File">
            <div className="toolbar file-toolbar">
              <span className="muted">
                {displaySize(data)} · <code title={data.id}>{data.id.slice(0, 10)}</code>
              </span>
              <a href={paths.raw(repo, data.commit, path)}>Raw</a>
              <RawDownload url={`${paths.raw(repo, data.commit, path)}&download=1`} name={fileName(path)} />
              <Link to={paths.commits(repo, revision, path)}>History</Link>
              {!data.binary && <Link to={paths.blame(repo, revision, path)}>Blame</Link>}
              {/* An LFS pointer is not edited as text: its content lives in the LFS store. */}
              {signedIn &&
                !data.binary &&
                !data.truncated &&
                data.content !== undefined &&
                !lfsPointerOf(data) && (
                  <button type="button" onClick={() => setEditing('edit')} aria-expanded={editing === 'edit'}>
                    Edit
                  </button>
                )}
              {signedIn && (
                <button
                  type="button"
                  onClick={() => setEditing('delete')}
                  aria-expanded={editing === 'delete'}
                >
                  Delete
                </button>
              )}
            </div>
            {editing === 'delete' && (
              <DeleteFileForm
                repo={repo}
                revision={revision}
                base={data.commit}
                path={path}
                onClose={() => setEditing(undefined)}
              />
            )}
            {editing === 'edit' && data.content !== undefined ? (
              <FileEditor
                repo={repo}
                revision={revision}
                base={data.commit}
                path={path}
                content={data.content}
                isNew={false}
                onClose={() => setEditing(undefined)}
              />
            ) : (
              <BlobContent repo={repo} revision={revision} blob={data} />
            )}
          </section>
        )}
      />
    </>
  );
}
