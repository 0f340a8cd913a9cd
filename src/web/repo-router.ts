import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { invalid, notFound } from '../platform/errors.js';

/**
 * Routes addressed *under a repository path*: `/{repo}[.git]/info/refs`, `/{repo}.git/info/lfs/…`.
 * A repository path has any number of segments (the Mega directory), so these URLs cannot be
 * expressed as Fastify routes; instead one wildcard route hands every otherwise unmatched URL to
 * this table, which finds the route whose `suffix` ends the path and splits off the repository path.
 *
 * Areas add their repository-scoped routes with `repoRouter.add(…)` (smart HTTP adds `/info/refs`,
 * `/git-upload-pack`, `/git-receive-pack`; LFS adds `/info/lfs/…`). Fixed-prefix routes
 * (`/api/…`, `/healthz`) are ordinary Fastify routes and take precedence over the wildcard.
 */
export interface RepoRouteMatch {
  /** Normalised repository path: leading `/`, no trailing `/` or `.git`; the root is `/`. */
  readonly repoPath: string;
  /** Named groups of the suffix pattern, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

export type RepoRouteHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  match: RepoRouteMatch,
) => Promise<unknown>;

export interface RepoRoute {
  readonly method: HTTPMethods | readonly HTTPMethods[];
  /**
   * Pattern of the path part after the repository (and its optional `.git`), without anchors,
   * e.g. `/info/lfs/locks/(?<id>[^/]+)/unlock`. Named groups become `params`.
   */
  readonly suffix: string;
  readonly handler: RepoRouteHandler;
  /**
   * The handler reads the body as a stream whatever its Content-Type (git-lfs uploads send the
   * file's own MIME type, e.g. `text/plain`), so the framework must never parse it.
   */
  readonly streamedBody?: boolean;
}

interface CompiledRoute {
  readonly methods: ReadonlySet<string>;
  readonly pattern: RegExp;
  readonly handler: RepoRouteHandler;
  readonly streamedBody: boolean;
}

/** Longest repository path accepted, in bytes (a bound for hostile URLs). */
export const MAX_REPO_PATH_LENGTH = 1024;

export class RepoRouter {
  private readonly routes: CompiledRoute[] = [];

  add(route: RepoRoute): void {
    const methods = typeof route.method === 'string' ? [route.method] : route.method;
    this.routes.push({
      methods: new Set(methods.map((method) => method.toUpperCase())),
      // The repository part is lazy so that `/a.git/info/refs` splits at the first `.git/info/refs`.
      pattern: new RegExp(`^(?<repo>(?:/[^/]+)*?)(?:\\.git)?${route.suffix}$`),
      handler: route.handler,
      streamedBody: route.streamedBody === true,
    });
  }

  /** Whether the route for this request takes its body as a raw stream (see `streamedBody`). */
  streamsBody(method: string, urlPath: string): boolean {
    return this.match(method, urlPath)?.route.streamedBody === true;
  }

  /** Finds the route for a method and URL path (no query string), or undefined. */
  match(method: string, urlPath: string): { route: CompiledRoute; match: RepoRouteMatch } | undefined {
    for (const route of this.routes) {
      const found = route.pattern.exec(urlPath);
      if (!found || !route.methods.has(method.toUpperCase())) continue;
      const { repo = '', ...rest } = found.groups ?? {};
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(rest)) {
        if (value !== undefined) params[name] = decodeSegment(value);
      }
      return { route, match: { repoPath: normalizeRepoPath(repo), params } };
    }
    return undefined;
  }

  /** The Fastify handler of the wildcard route. */
  readonly dispatch = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const urlPath = (request.raw.url ?? '/').split('?')[0] ?? '/';
    const found = this.match(request.method, urlPath);
    if (!found) {
      const page = browserPageFor(request, urlPath);
      if (page) return reply.redirect(page, 303);
      throw notFound('route_not_found', 'no such route', { method: request.method, path: urlPath });
    }
    return found.route.handler(request, reply, found.match);
  };
}

/**
 * A repository URL opened in a browser (`GET /projects/webapp`, Accept: text/html) shows its page
 * in the UI. Git never asks for HTML (smart HTTP sends `*\/*` or a git media type), and matched
 * git routes never get here, so clones and dumb-protocol reads are unaffected.
 */
function browserPageFor(request: FastifyRequest, urlPath: string): string | undefined {
  if (request.method !== 'GET' || !(request.headers.accept ?? '').includes('text/html')) return undefined;
  if (/^\/(api|ui)(\/|$)/.test(urlPath)) return undefined;
  let path: string;
  try {
    path = normalizeRepoPath(urlPath.replace(/(.)\/$/, '$1'));
  } catch {
    return undefined; // a malformed path stays the JSON error it was
  }
  const encoded = path
    .split('/')
    .filter(Boolean)
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return encoded ? `/ui/dir/${encoded}` : '/ui/dir';
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalid('path_encoding_invalid', 'invalid percent-encoding in path');
  }
}

/**
 * Turns the URL's repository part into a canonical path: percent-decoded per segment, a trailing
 * `.git` removed, the empty path is the root `/`. Refuses `.`/`..`/empty segments, control
 * characters and backslashes, so a path can never escape or alias another repository.
 */
export function normalizeRepoPath(raw: string): string {
  const withoutGit = raw.endsWith('.git') ? raw.slice(0, -'.git'.length) : raw;
  if (withoutGit === '' || withoutGit === '/') return '/';
  if (withoutGit.length > MAX_REPO_PATH_LENGTH) {
    throw invalid('repo_path_too_long', 'repository path too long', { limit: MAX_REPO_PATH_LENGTH });
  }
  const segments = withoutGit.replace(/^\//, '').split('/').map(decodeSegment);
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\u007f\\/]/.test(segment)) {
      throw invalid('repo_path_invalid', 'invalid repository path', { path: withoutGit });
    }
  }
  const path = `/${segments.join('/')}`;
  return path.endsWith('.git') ? path.slice(0, -'.git'.length) : path;
}
