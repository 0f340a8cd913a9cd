import { invalid } from '../platform/errors.js';

/** A GitHub repository and the endpoints that serve it. */
export interface GithubLocation {
  /** REST base: `https://api.github.com`, or `https://HOST/api/v3` on GitHub Enterprise Server. */
  readonly apiUrl: string;
  /** Web base: `https://github.com` or `https://HOST`. */
  readonly webUrl: string;
  readonly owner: string;
  readonly name: string;
}

export const GITHUB_WEB = 'https://github.com';
export const GITHUB_API = 'https://api.github.com';

// GitHub's own rules: owners are alphanumerics and single hyphens, repository names add . and _.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Reads `owner/name`, a web or clone URL (`https://github.com/o/r(.git)`, `git@github.com:o/r.git`,
 * `ssh://git@HOST/o/r.git`) and an optional base URL of a GitHub Enterprise Server. A URL on
 * another host than github.com is a GHES only when `baseUrl` names that host (so a GitLab URL is
 * never taken for GitHub).
 */
export function parseGithubLocation(repository: string, baseUrl?: string): GithubLocation {
  const base = baseUrl ? enterpriseBase(baseUrl) : { apiUrl: GITHUB_API, webUrl: GITHUB_WEB };
  const host = new URL(base.webUrl).host.toLowerCase();
  const text = repository.trim();
  let path: string;
  const scp = /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!\/)(.+)$/.exec(text);
  if (scp) {
    if ((scp[1] ?? '').toLowerCase() !== host) throw notOnHost(host);
    path = scp[2] ?? '';
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalid('github_repository_invalid', 'not a GitHub repository URL');
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) throw notOnHost(host);
    if (url.password !== '')
      throw invalid('github_repository_invalid', 'credentials do not belong in the URL');
    if (url.hostname.toLowerCase() !== host.split(':')[0]) throw notOnHost(host);
    path = url.pathname;
  } else {
    path = text;
  }
  const parts = path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/, '')
    .split('/');
  const [owner, name] = parts;
  if (parts.length !== 2 || !owner || !name || !OWNER.test(owner) || !NAME.test(name) || /^\.+$/.test(name)) {
    throw invalid('github_repository_invalid', 'expected owner/name of a GitHub repository', {
      repository: text,
    });
  }
  return { ...base, owner, name };
}

/** `https://HOST` → `{apiUrl: https://HOST/api/v3, webUrl: https://HOST}`; github.com stays itself. */
export function enterpriseBase(baseUrl: string): { apiUrl: string; webUrl: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid('github_repository_invalid', 'the GitHub base URL is not a URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search) {
    throw invalid(
      'github_repository_invalid',
      'the GitHub base URL must be http(s)://HOST without credentials',
    );
  }
  const host = url.host.toLowerCase();
  if (host === 'github.com' || host === 'api.github.com') return { apiUrl: GITHUB_API, webUrl: GITHUB_WEB };
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/api\/v3$/, '');
  const webUrl = `${url.protocol}//${host}${prefix}`;
  return { apiUrl: `${webUrl}/api/v3`, webUrl };
}

/** The repository's page: `https://github.com/owner/name`. */
export function repositoryWebUrl(location: Pick<GithubLocation, 'webUrl' | 'owner' | 'name'>): string {
  return `${location.webUrl}/${location.owner}/${location.name}`;
}

function notOnHost(host: string) {
  return invalid('github_repository_invalid', `not a repository on ${host}`, { host });
}
