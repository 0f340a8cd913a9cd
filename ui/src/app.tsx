import { Suspense, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { setToken } from './auth';
import { useSession, type Session } from './current-user';
import { BlobPage, RepoTreePage } from './pages/repo-tree-page';
import { DirectoryPage } from './pages/directory-page';
import { SignInPage } from './pages/sign-in-page';
import {
  BlamePage,
  BranchesPage,
  CommitPage,
  CommitsPage,
  ComparePage,
  GithubIssuePage,
  GithubIssuesPage,
  GithubPullPage,
  GithubPullsPage,
  GroupsPage,
  MergeRequestPage,
  MergeRequestsPage,
  SearchPage,
  SshKeysPage,
  SyncPage,
  TokensPage,
  WebhooksPage,
} from './lazy-pages';
import { searchPath } from './search-path';
import { paths, parseRepoRoute } from './paths';
import { BASE, Link, navigate, useLocation } from './router';
import { pageTitle } from './page-title';
import { useKeyboardShortcuts } from './shortcuts';

function Page({ pathname }: { pathname: string }) {
  const repo = parseRepoRoute(pathname);
  if (repo) {
    if (repo.page === 'tree') return <RepoTreePage repo={repo.repo} revision={repo.ref} path={repo.path} />;
    if (repo.page === 'blob') return <BlobPage repo={repo.repo} revision={repo.ref} path={repo.path} />;
    if (repo.page === 'commits') return <CommitsPage repo={repo.repo} revision={repo.ref} path={repo.path} />;
    if (repo.page === 'blame') return <BlamePage repo={repo.repo} revision={repo.ref} path={repo.path} />;
    if (repo.page === 'branches' || repo.page === 'tags')
      return <BranchesPage repo={repo.repo} tab={repo.page} />;
    if (repo.page === 'issues' || repo.page === 'pulls') {
      const number = /^[1-9]\d{0,14}$/.test(repo.ref) ? Number(repo.ref) : undefined;
      if (repo.page === 'issues')
        return number ? (
          <GithubIssuePage repo={repo.repo} number={number} />
        ) : (
          <GithubIssuesPage repo={repo.repo} />
        );
      return number ? (
        <GithubPullPage repo={repo.repo} number={number} />
      ) : (
        <GithubPullsPage repo={repo.repo} />
      );
    }
    if (repo.page === 'compare')
      return <ComparePage repo={repo.repo} spec={repo.ref === 'HEAD' ? '' : repo.ref} />;
    return <CommitPage repo={repo.repo} id={repo.ref} />;
  }
  const dir = `${BASE}/dir`;
  if (pathname === dir || pathname.startsWith(`${dir}/`)) {
    const rest = pathname.slice(dir.length);
    return <DirectoryPage path={rest ? rest.split('/').map(decodeURIComponent).join('/') : '/'} />;
  }
  const mr = /^\/ui\/merge-requests\/([^/]+)(?:\/(commits|changes))?$/.exec(pathname);
  if (mr?.[1]) {
    const tab = mr[2] === 'commits' || mr[2] === 'changes' ? mr[2] : 'overview';
    return <MergeRequestPage number={decodeURIComponent(mr[1])} tab={tab} />;
  }
  if (pathname === paths.mergeRequests()) return <MergeRequestsPage />;
  if (pathname === paths.sync()) return <SyncPage />;
  if (pathname === paths.signIn()) return <SignInPage />;
  if (pathname === paths.tokens()) return <TokensPage />;
  if (pathname === paths.sshKeys()) return <SshKeysPage />;
  if (pathname === paths.groups()) return <GroupsPage />;
  if (pathname === `${BASE}/webhooks`) return <WebhooksPage />;
  if (pathname === `${BASE}/search`) return <SearchPage />;
  if (pathname === BASE || pathname === `${BASE}/`) return <DirectoryPage path="/" />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to={paths.directory('/')}>Go to the directory</Link>
      </p>
    </section>
  );
}

const NAV: ReadonlyArray<readonly [string, string, string]> = [
  ['Directory', paths.directory('/'), `${BASE}/dir`],
  ['Merge requests', paths.mergeRequests(), paths.mergeRequests()],
  ['Sync', paths.sync(), paths.sync()],
];

/** Who is signed in (with an admin badge), and sign-out; or the way to sign in. */
function UserMenu({ session }: { session: Session }) {
  const { signedIn, user } = session;
  if (!signedIn) {
    return (
      <div className="user-menu">
        <Link to={paths.signIn()}>Sign in</Link>
      </div>
    );
  }
  const signOut = () => {
    setToken(undefined);
    navigate(paths.signIn());
  };
  if (session.refused) {
    return (
      <div className="user-menu" data-testid="user-menu">
        <Link to={paths.signIn()}>Token not accepted: sign in again</Link>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <div className="user-menu" data-testid="user-menu">
      <Link to={paths.signIn()} aria-label={user ? `Signed in as ${user.username}` : 'Signed in'}>
        {user ? user.username : 'Signed in'}
      </Link>
      {user?.isAdmin && <span className="badge badge-admin">admin</span>}
      <button type="button" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}

/** The tab title of each route until the page names itself more precisely (`usePageTitle`). */
function routeTitle(pathname: string): string {
  const repo = parseRepoRoute(pathname);
  if (repo) return pageTitle(repo.path || undefined, repo.repo);
  if (pathname.startsWith(`${BASE}/merge-requests`)) return pageTitle('Merge requests');
  if (pathname === paths.sync()) return pageTitle('Sync');
  if (pathname === paths.signIn()) return pageTitle('Sign in');
  if (pathname === paths.tokens()) return pageTitle('Access tokens');
  if (pathname === paths.sshKeys()) return pageTitle('SSH keys');
  if (pathname === paths.groups()) return pageTitle('Groups');
  if (pathname === `${BASE}/webhooks`) return pageTitle('Webhooks');
  return pageTitle('Directory');
}

/** The header's search box: submits to the search page (which keeps the query in its address). */
function HeaderSearch() {
  const [q, setQ] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (q.trim() !== '') navigate(searchPath({ q }));
  };
  return (
    <form role="search" aria-label="Search code" className="top-search" onSubmit={submit}>
      <input
        type="search"
        aria-label="Search code"
        placeholder="Search code"
        value={q}
        onChange={(event) => setQ(event.target.value)}
        maxLength={1000}
      />
    </form>
  );
}

export function App() {
  const location = useLocation();
  const session = useSession();
  const { signedIn, user } = session;
  useKeyboardShortcuts(navigate);
  // A layout effect runs before the pages' own effects, so a page's `usePageTitle` wins.
  useLayoutEffect(() => {
    document.title = routeTitle(location.pathname);
  }, [location.pathname]);
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    // After an in-app navigation, move focus to the new page's content so keyboard and
    // screen-reader users land there; on the first load the skip link stays first in tab order.
    if (location.pathname === firstPath.current) return;
    firstPath.current = '';
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to={paths.directory('/')} className="brand">
          Mega
        </Link>
        <nav aria-label="Main">
          {NAV.map(([label, to, prefix]) => (
            <Link
              key={label}
              to={to}
              aria-current={location.pathname.startsWith(prefix) ? 'page' : undefined}
            >
              {label}
            </Link>
          ))}
          {signedIn && (
            <Link
              to={paths.tokens()}
              aria-current={location.pathname === paths.tokens() ? 'page' : undefined}
            >
              Tokens
            </Link>
          )}
          {signedIn && (
            <Link
              to={paths.sshKeys()}
              aria-current={location.pathname === paths.sshKeys() ? 'page' : undefined}
            >
              SSH keys
            </Link>
          )}
          {signedIn && <Link to={`${BASE}/webhooks`}>Webhooks</Link>}
          {user?.isAdmin && (
            <Link
              to={paths.groups()}
              aria-current={location.pathname === paths.groups() ? 'page' : undefined}
            >
              Groups
            </Link>
          )}
          <a href="/api/docs">API</a>
        </nav>
        <UserMenu session={session} />
        <HeaderSearch />
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense
          fallback={
            <p className="muted" role="status">
              Loading…
            </p>
          }
        >
          <Page pathname={location.pathname} />
        </Suspense>
      </main>
      <footer className="muted small">
        Keyboard: <kbd>g</kbd> <kbd>d</kbd> directory · <kbd>g</kbd> <kbd>m</kbd> merge requests ·{' '}
        <kbd>g</kbd> <kbd>s</kbd> sync
      </footer>
    </>
  );
}
