import { BASE } from './router';

/**
 * URLs of the UI. A repository path has any number of segments, so repository pages put `/-/`
 * between the repository and the page (as GitLab does); the revision is one encoded segment.
 */
const encodePath = (path: string) =>
  path
    .split('/')
    .filter(Boolean)
    .map((segment) => encodeURIComponent(segment))
    .join('/');

export const paths = {
  directory: (megaPath = '/') => `${BASE}/dir/${encodePath(megaPath)}`.replace(/\/$/, '') || `${BASE}/dir`,
  tree: (repo: string, ref: string, path = '') =>
    `${BASE}/repo/${encodePath(repo)}/-/tree/${encodeURIComponent(ref)}${path ? `/${encodePath(path)}` : ''}`,
  blob: (repo: string, ref: string, path: string) =>
    `${BASE}/repo/${encodePath(repo)}/-/blob/${encodeURIComponent(ref)}/${encodePath(path)}`,
  commits: (repo: string, ref: string, path = '') =>
    `${BASE}/repo/${encodePath(repo)}/-/commits/${encodeURIComponent(ref)}${path ? `/${encodePath(path)}` : ''}`,
  commit: (repo: string, id: string) => `${BASE}/repo/${encodePath(repo)}/-/commit/${id}`,
  blame: (repo: string, ref: string, path: string) =>
    `${BASE}/repo/${encodePath(repo)}/-/blame/${encodeURIComponent(ref)}/${encodePath(path)}`,
  branches: (repo: string) => `${BASE}/repo/${encodePath(repo)}/-/branches`,
  tags: (repo: string) => `${BASE}/repo/${encodePath(repo)}/-/tags`,
  /** `base...head` in one segment: a revision never holds `..`, so the split is unambiguous. */
  compare: (repo: string, base = '', head = '') =>
    `${BASE}/repo/${encodePath(repo)}/-/compare${base || head ? `/${encodeURIComponent(base)}...${encodeURIComponent(head)}` : ''}`,
  /** GitHub issues and pull requests of a linked /import repository (list, or one by number). */
  githubIssues: (repo: string, number?: number) =>
    `${BASE}/repo/${encodePath(repo)}/-/issues${number === undefined ? '' : `/${number}`}`,
  githubPulls: (repo: string, number?: number) =>
    `${BASE}/repo/${encodePath(repo)}/-/pulls${number === undefined ? '' : `/${number}`}`,
  raw: (repo: string, ref: string, path: string) =>
    `/api/v1/repos/raw?${new URLSearchParams({ repo, ref, path }).toString()}`,
  mergeRequests: () => `${BASE}/merge-requests`,
  mergeRequest: (id: number | string, tab?: 'commits' | 'changes') =>
    `${BASE}/merge-requests/${id}${tab ? `/${tab}` : ''}`,
  sync: () => `${BASE}/sync`,
  signIn: () => `${BASE}/sign-in`,
  tokens: () => `${BASE}/tokens`,
  sshKeys: () => `${BASE}/ssh-keys`,
  groups: () => `${BASE}/groups`,
};

export type RepoPage =
  'tree' | 'blob' | 'commits' | 'commit' | 'blame' | 'branches' | 'tags' | 'compare' | 'issues' | 'pulls';
const REPO_PAGES: readonly string[] = [
  'tree',
  'blob',
  'commits',
  'commit',
  'blame',
  'branches',
  'tags',
  'compare',
  'issues',
  'pulls',
];

export interface RepoRoute {
  readonly repo: string;
  readonly page: RepoPage;
  readonly ref: string;
  readonly path: string;
}

/** Parses `/ui/repo/<repo…>/-/<page>/<ref>/<path…>`. */
export function parseRepoRoute(pathname: string): RepoRoute | undefined {
  const prefix = `${BASE}/repo/`;
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  const marker = rest.indexOf('/-/');
  if (marker < 0) return undefined;
  const decode = (text: string) => text.split('/').map(decodeURIComponent).join('/');
  const repo = `/${decode(rest.slice(0, marker))}`;
  const [page = '', ref = 'HEAD', ...path] = rest.slice(marker + 3).split('/');
  if (!REPO_PAGES.includes(page)) return undefined;
  // A compare's `base...head` is decoded by its page (each side is encoded on its own).
  const revision = page === 'compare' ? ref : decodeURIComponent(ref);
  return { repo, page: page as RepoPage, ref: revision, path: path.map(decodeURIComponent).join('/') };
}
