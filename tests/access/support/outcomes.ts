import type { Role } from '../../../src/access/roles.js';

/**
 * What a caller gets when trying an action: the vocabulary of the permission matrix (issue 16).
 * What cannot be read does not exist (404 signed in, 401 anonymous); 403 means "you can see it
 * but not do this", naming the role it takes.
 */
export type Outcome =
  /** Done; `shows` lists what a listing or directory clone contained (sorted names). */
  | { readonly kind: 'ok'; readonly shows?: readonly string[] }
  /** 401: git asks for credentials, REST answers `authentication_required`. */
  | { readonly kind: 'unauthenticated' }
  /** 404: git says the repository is not found, REST answers `repository_not_found`. */
  | { readonly kind: 'hidden' }
  /** 403 naming the role the action takes (REST `access_denied`). */
  | { readonly kind: 'denied'; readonly role: Role }
  /** A ref refused inside an accepted push (`[remote rejected] … needs the ROLE role`). */
  | { readonly kind: 'rejected'; readonly role: Role }
  /** 403 `self_merge_not_allowed`: authors may not merge their own merge requests there. */
  | { readonly kind: 'self-merge-denied' }
  /** Anything else, with what the client printed or the server answered: always a failure. */
  | { readonly kind: 'unrecognised'; readonly output: string };

export const OK: Outcome = { kind: 'ok' };
export const UNAUTHENTICATED: Outcome = { kind: 'unauthenticated' };
export const HIDDEN: Outcome = { kind: 'hidden' };
export const shows = (...names: string[]): Outcome => ({ kind: 'ok', shows: [...names].sort() });
export const denied = (role: Role): Outcome => ({ kind: 'denied', role });
export const rejected = (role: Role): Outcome => ({ kind: 'rejected', role });
export const SELF_MERGE_DENIED: Outcome = { kind: 'self-merge-denied' };

/** The role named by a "needs the ROLE role" message, if any. */
function roleNamedIn(text: string): Role | undefined {
  return /needs the (read|write|maintain|admin) role/.exec(text)?.[1] as Role | undefined;
}

const unrecognised = (output: string): Outcome => ({ kind: 'unrecognised', output });

/**
 * What the real `git` printed, as an outcome. Exact fragments of git 2.39's messages:
 * - 401 with prompts disabled (`GIT_TERMINAL_PROMPT=0`, no credential helper):
 *   `fatal: could not read Username for 'http://…': terminal prompts disabled`;
 * - 404 on `info/refs`: `fatal: repository 'URL/' not found`;
 * - other statuses: `fatal: unable to access 'URL/': The requested URL returned error: 403`, the
 *   server's text/plain body shown before it as `remote: …` lines;
 * - a ref the server refused: ` ! [remote rejected] SRC -> DST (reason)` or `… [remote rejected] DST (reason)`.
 */
export function gitOutcome(exitCode: number, stderr: string): Outcome {
  if (exitCode === 0) return OK;
  if (/fatal: could not read Username for 'http:\/\/[^']+': terminal prompts disabled/.test(stderr))
    return UNAUTHENTICATED;
  if (/fatal: repository 'http:\/\/[^']+' not found/.test(stderr)) return HIDDEN;
  const role = roleNamedIn(stderr);
  if (/The requested URL returned error: 403/.test(stderr) && role && /^remote: .*needs the/m.test(stderr))
    return denied(role);
  if (/ ! \[remote rejected\] .*\(.*needs the (read|write|maintain|admin) role/.test(stderr) && role)
    return rejected(role);
  return unrecognised(stderr);
}

/**
 * What `git-lfs` (3.x) printed with `GIT_TRACE=1`, as an outcome. Its trace names each answer's
 * status (`trace git-lfs: HTTP: 404`) and error body (`trace git-lfs: HTTP: {"message":…,"code":…}`);
 * a 401 it has no credentials for ends with `Git credentials for URL not found`.
 */
export function lfsOutcome(exitCode: number, output: string): Outcome {
  if (exitCode === 0) return OK;
  const statuses = [...output.matchAll(/trace git-lfs: HTTP: (\d{3})$/gm)].map((match) => Number(match[1]));
  const status = statuses.filter((value) => value >= 400).pop();
  const bodies = [...output.matchAll(/trace git-lfs: HTTP: (\{.*\})$/gm)].map((match) => match[1] ?? '');
  let error: { code?: unknown; message?: unknown } = {};
  try {
    error = JSON.parse(bodies.pop() ?? '{}') as typeof error;
  } catch {
    // Not JSON: the outcome stays unrecognised below.
  }
  const code = typeof error.code === 'string' ? error.code : undefined;
  const role = roleNamedIn(typeof error.message === 'string' ? error.message : '');
  if (status === 401 && /Git credentials for \S+ not found/.test(output)) return UNAUTHENTICATED;
  if (status === 404 && code === 'repository_not_found') return HIDDEN;
  if (status === 403 && code === 'access_denied' && role) return denied(role);
  return unrecognised(output);
}

/** 403 codes that name the missing role: any action, and merging (`src/review` merge gates). */
const DENIAL_CODES: readonly string[] = ['access_denied', 'merge_forbidden'];

/** A REST answer: its error body is an RFC 9457 problem (`code`, `detail`). */
export interface RestAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The `WWW-Authenticate` header, when the server sent one. */
  readonly challenge?: string;
}

function errorOf(body: unknown): { code?: string; message?: string } {
  const problem = body as { code?: unknown; detail?: unknown } | undefined;
  return {
    ...(typeof problem?.code === 'string' ? { code: problem.code } : {}),
    ...(typeof problem?.detail === 'string' ? { message: problem.detail } : {}),
  };
}

/**
 * A REST answer as an outcome: 401 `authentication_required`, 404 `repository_not_found`,
 * 403 `access_denied` / `merge_forbidden` naming the role, 403 `self_merge_not_allowed`. `browser`: the request came from
 * the web UI, which must never get a Basic challenge (it makes browsers pop a login dialog).
 */
export function restOutcome(answer: RestAnswer, options: { browser?: boolean } = {}): Outcome {
  const { code, message = '' } = errorOf(answer.body);
  const said = `${answer.status} ${JSON.stringify(answer.body)}${answer.challenge ? ` WWW-Authenticate: ${answer.challenge}` : ''}`;
  if (answer.status >= 200 && answer.status < 300) return OK;
  if (answer.status === 401 && code === 'authentication_required') {
    if (options.browser && /^basic/i.test(answer.challenge ?? '')) return unrecognised(said);
    return UNAUTHENTICATED;
  }
  if (answer.status === 404 && code === 'repository_not_found') return HIDDEN;
  if (answer.status === 403 && code === 'self_merge_not_allowed') return SELF_MERGE_DENIED;
  const role = roleNamedIn(message);
  if (answer.status === 403 && code !== undefined && DENIAL_CODES.includes(code) && role) return denied(role);
  return unrecognised(said);
}
