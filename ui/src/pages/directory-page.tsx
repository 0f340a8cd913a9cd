import { apiUrl, useApi } from '../api';
import { AccessPanel } from '../components/access-panel';
import { Breadcrumbs, type Crumb } from '../components/breadcrumbs';
import { CloneBox } from '../components/clone-box';
import { Icon, type IconName } from '../components/icon';
import { ReadmePanel } from '../components/readme-panel';
import { Load } from '../components/status';
import { usePageTitle } from '../page-title';
import { paths } from '../paths';
import { Link } from '../router';
import type { DirectoryEntry, DirectoryView } from '../types';
import { RepoTree } from './repo-tree-page';

export function directoryCrumbs(path: string): Crumb[] {
  const segments = path.split('/').filter(Boolean);
  return [
    { label: 'Mega', to: paths.directory('/') },
    ...segments.map((segment, index) => ({
      label: segment,
      to: paths.directory(`/${segments.slice(0, index + 1).join('/')}`),
    })),
  ];
}

const KIND_ICON: Record<DirectoryEntry['kind'], IconName> = {
  directory: 'folder',
  repository: 'repository',
  file: 'file',
};

/** The Mega directory at a path: its entries, or the repository the path lands in. */
export function DirectoryPage({ path }: { path: string }) {
  const view = useApi<DirectoryView>(apiUrl('directory', { path }));
  usePageTitle(path === '/' ? 'Directory' : path);
  return (
    <Load
      value={view}
      render={(data) => (
        <>
          <Breadcrumbs crumbs={directoryCrumbs(data.path)} />
          <h1 className="page-title">{data.path === '/' ? 'Mega directory' : data.path}</h1>
          <CloneBox view={data} />
          {data.repoPath ? (
            <RepoTree repo={data.repoPath} revision="HEAD" path={data.subdir ?? ''} />
          ) : data.entries ? (
            <>
              <EntryTable entries={data.entries} />
              <DirectoryReadme entries={data.entries} />
            </>
          ) : (
            <p className="muted">Nothing here yet. Pushing to this path creates a repository.</p>
          )}
          <AccessPanel path={data.repoPath ?? data.path} repository={data.repoPath !== undefined} />
        </>
      )}
    />
  );
}

function EntryTable({ entries }: { entries: readonly DirectoryEntry[] }) {
  return (
    <table className="listing" aria-label="Directory entries">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.path}>
            <td>
              <Icon name={KIND_ICON[entry.kind]} />{' '}
              <Link
                to={
                  entry.kind === 'file'
                    ? paths.blob('/', 'HEAD', entry.path.slice(1))
                    : paths.directory(entry.path)
                }
              >
                {entry.name}
              </Link>
            </td>
            <td>
              {entry.kind === 'repository' ? <span className="badge repo">repository</span> : entry.kind}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The directory's README, read from the directory repository (`/`) at its head. */
function DirectoryReadme({ entries }: { entries: readonly DirectoryEntry[] }) {
  const readme = entries.find((entry) => entry.kind === 'file' && /^readme(\.(md|txt))?$/i.test(entry.name));
  return (
    <ReadmePanel file={readme && { name: readme.name, repo: '/', ref: 'HEAD', path: readme.path.slice(1) }} />
  );
}
