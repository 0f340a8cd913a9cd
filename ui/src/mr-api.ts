import { useCallback, useEffect, useState } from 'react';
import { ApiError, apiGet, apiRequest, apiUrl } from './api';
import type {
  ApprovalSummary,
  CheckStatus,
  CodeOwnerRequirement,
  Discussion,
  DiscussionThread,
  LinePosition,
  MergeRequestChange,
  MergeBlocker,
  MergeRequestDetail,
  MergeStatus,
  ProposedCommit,
  ProposedCommits,
  TimelineEntry,
} from './types';

/**
 * Every call the merge request page makes, in one place: the review endpoints of issue 22 are
 * still settling, so their shapes are read here (tolerantly) and nowhere else.
 */
const mr = (number: number | string, rest = '') =>
  apiUrl(`merge-requests/${encodeURIComponent(String(number))}${rest ? `/${rest}` : ''}`);

/**
 * An endpoint this server does not have (yet): the router's own 404, not a 404 of the thing
 * asked for. Only this makes a panel say "unavailable"; every other error is shown as an error.
 */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'route_not_found';
}

export type Optional<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'unavailable' }
  | { readonly state: 'error'; readonly error: Error }
  | { readonly state: 'ready'; readonly data: T };

/**
 * Runs `load` when `key` changes or `reload()` is called; a missing endpoint becomes
 * `unavailable`. Keeps the last data while reloading so a panel does not flicker after an action.
 */
export function useOptional<T>(
  key: string | undefined,
  load: () => Promise<T>,
): Optional<T> & { reload: () => void } {
  const [result, setResult] = useState<{ key?: string; value: Optional<T> }>({ value: { state: 'loading' } });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (key === undefined) return;
    let cancelled = false;
    load().then(
      (data) => !cancelled && setResult({ key, value: { state: 'ready', data } }),
      (error: unknown) => {
        if (cancelled) return;
        const value: Optional<T> = isMissingEndpoint(error)
          ? { state: 'unavailable' }
          : { state: 'error', error: error instanceof Error ? error : new Error(String(error)) };
        setResult({ key, value });
      },
    );
    return () => {
      cancelled = true;
    };
    // `load` is a fresh closure each render; `key` names what it loads.
  }, [key, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  // What was loaded for another key is not shown for this one.
  return { ...(result.key === key ? result.value : { state: 'loading' }), reload };
}

export const fetchMergeRequest = (number: number | string) => apiGet<MergeRequestDetail>(mr(number));

export type MergeRequestAction = 'merge' | 'close' | 'reopen' | 'approve' | 'unapprove' | 'update';

export const act = (number: number, action: MergeRequestAction) => apiRequest('POST', mr(number, action), {});

/* ---- merge status: blockers, approvals, code owners, checks ---- */

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The first array among `keys` of `value`, or `value` itself when it is one. */
function listIn(value: unknown, keys: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value;
  const object = asObject(value);
  for (const key of keys) if (Array.isArray(object[key])) return object[key] as unknown[];
  return [];
}

/** A user named as a string, `{username}`, `{name}`, `{user}` or `{email}` (code owner references). */
function personName(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = asObject(value);
  return (
    asString(object.username) ??
    asString(object.name) ??
    asString(object.user) ??
    asString(object.email) ??
    '?'
  );
}

function approvalsOf(value: unknown): ApprovalSummary | undefined {
  if (value === undefined || value === null) return undefined;
  const object = asObject(value);
  return {
    required: asNumber(object.required) ?? 0,
    approvedBy: asArray(object.given ?? object.approvedBy).map(personName),
    stale: asArray(object.stale).map(personName),
  };
}

function codeOwnersOf(value: unknown): CodeOwnerRequirement[] | undefined {
  if (value === undefined || value === null) return undefined;
  return listIn(value, ['requirements', 'rules', 'items']).map((item) => {
    const object = asObject(item);
    return {
      pattern: asString(object.pattern) ?? asString(object.path) ?? '?',
      ...(asString(object.source) ? { source: asString(object.source) } : {}),
      ...(asNumber(object.line) !== undefined ? { line: asNumber(object.line) } : {}),
      optional: object.optional === true,
      owners: asArray(object.owners).map(personName),
      paths: asArray(object.paths).map(String),
      approvedBy: asArray(object.approvedBy).map(personName),
      satisfied: object.satisfied === true,
    };
  });
}

const CHECK_STATES = new Set(['pending', 'success', 'failure', 'error', 'missing']);

function checksOf(value: unknown): CheckStatus[] | undefined {
  if (value === undefined || value === null) return undefined;
  const flat: Json[] = [];
  for (const item of listIn(value, ['statuses', 'checks', 'items', 'repositories'])) {
    const object = asObject(item);
    // Grouped per repository (`{repoPath, commit, statuses:[…]}`) or one entry per check.
    const inner = asArray(object.statuses ?? object.checks);
    if (inner.length > 0)
      for (const status of inner)
        flat.push({ repoPath: object.repoPath, commit: object.commit, ...asObject(status) });
    else flat.push(object);
  }
  return flat.map((object) => {
    const state = asString(object.state) ?? 'pending';
    return {
      repoPath: asString(object.repoPath) ?? '',
      ...(asString(object.commit) ? { commit: asString(object.commit) } : {}),
      context: asString(object.context) ?? 'default',
      state: (CHECK_STATES.has(state) ? state : 'pending') as CheckStatus['state'],
      ...(asString(object.targetUrl) ? { targetUrl: asString(object.targetUrl) } : {}),
      ...(asString(object.description) ? { description: asString(object.description) } : {}),
      ...(typeof object.required === 'boolean' ? { required: object.required } : {}),
    };
  });
}

function blockersOf(value: unknown): MergeBlocker[] {
  return asArray(value).map((item) => {
    const object = asObject(item);
    return {
      gate: asString(object.gate) ?? '',
      code: asString(object.code) ?? '',
      message: asString(object.message) ?? asString(object.code) ?? 'blocked',
      details: asObject(object.details),
    };
  });
}

export function mergeStatusOf(data: unknown): MergeStatus {
  const object = asObject(data);
  const approvals = approvalsOf(object.approvals);
  const codeOwners = codeOwnersOf(object.codeOwners);
  const checks = checksOf(object.checks);
  return {
    canMerge: object.canMerge === true,
    blockers: blockersOf(object.blockers),
    ...(approvals ? { approvals } : {}),
    ...(codeOwners ? { codeOwners } : {}),
    ...(checks ? { checks } : {}),
    warnings: asArray(object.warnings).map(String),
  };
}

/**
 * The statuses CI posted on each repository's head (`GET /api/v1/repos/statuses/:sha`), with their
 * links and descriptions; undefined on a server without commit statuses.
 */
export async function fetchHeadStatuses(changes: readonly MergeRequestChange[]): Promise<CheckStatus[]> {
  const lists = await Promise.all(
    changes.map(async (change) => {
      const data = await apiGet(
        apiUrl(`repos/statuses/${encodeURIComponent(change.headCommit)}`, { repo: change.repoPath }),
      );
      return (checksOf(data) ?? []).map((check) => ({ ...check, repoPath: change.repoPath }));
    }),
  );
  return lists.flat();
}

/**
 * The Checks panel's rows: every status posted on the heads, marked required where the merge
 * status says so, and the required contexts nothing was posted for.
 */
export function combineChecks(posted: readonly CheckStatus[], gate: readonly CheckStatus[]): CheckStatus[] {
  const key = (check: CheckStatus) => `${check.repoPath}\n${check.context}`;
  const required = new Map(gate.map((check) => [key(check), check]));
  const rows = posted.map((check) => ({ ...check, required: required.get(key(check))?.required ?? false }));
  const seen = new Set(rows.map(key));
  return [...rows, ...gate.filter((check) => !seen.has(key(check)))];
}

export const fetchMergeStatus = async (number: number) =>
  mergeStatusOf(await apiGet(mr(number, 'merge-status')));

/* ---- discussions ---- */

export async function fetchDiscussion(number: number): Promise<Discussion> {
  const data = asObject(await apiGet(mr(number, 'discussions')));
  const threads = listIn(data, ['items']) as DiscussionThread[];
  return {
    threads,
    unresolved: asNumber(data.unresolved) ?? threads.filter((thread) => !thread.resolved).length,
  };
}

export const startThread = (number: number, body: string, position?: Omit<LinePosition, 'commitId'>) =>
  apiRequest<DiscussionThread>('POST', mr(number, 'discussions'), {
    body,
    ...(position ? { position } : {}),
  });

export const replyTo = (number: number, thread: number, body: string) =>
  apiRequest('POST', mr(number, `discussions/${thread}/replies`), { body });

export const setResolved = (number: number, thread: number, resolved: boolean) =>
  apiRequest('POST', mr(number, `discussions/${thread}/${resolved ? 'resolve' : 'unresolve'}`), {});

export const editComment = (number: number, comment: number, body: string) =>
  apiRequest('PATCH', mr(number, `comments/${comment}`), { body });

export const deleteComment = (number: number, comment: number) =>
  apiRequest('DELETE', mr(number, `comments/${comment}`));

/* ---- timeline ---- */

/** Most timeline entries read for one page view. */
const TIMELINE_PAGE = 100;

export interface TimelinePage {
  items: TimelineEntry[];
  /** Entries in all; more than `items` when the history is longer than one page. */
  total: number;
}

/** Most timeline pages read for one view (1,000 entries): a longer history says what it shows. */
const MAX_TIMELINE_PAGES = 10;

/** The timeline, oldest first, read page by page up to `MAX_TIMELINE_PAGES`. */
export async function fetchTimeline(number: number): Promise<TimelinePage> {
  const items: TimelineEntry[] = [];
  let total = 0;
  let cursor: string | undefined;
  for (let page = 1; page <= MAX_TIMELINE_PAGES; page += 1) {
    const query = new URLSearchParams({ limit: String(TIMELINE_PAGE), ...(cursor ? { cursor } : {}) });
    const data = await apiGet(`${mr(number, 'timeline')}?${query.toString()}`);
    const batch = listIn(data, ['items']) as TimelineEntry[];
    for (const item of batch) items.push(item);
    total = asNumber(asObject(data).total) ?? items.length;
    const next = asObject(data).nextCursor;
    if (typeof next !== 'string') break;
    cursor = next;
  }
  return { items, total };
}

/* ---- commits ---- */

/** The commits a merge request's push proposes, oldest first (the newest when `truncated`). */
export async function fetchCommits(number: number): Promise<ProposedCommits> {
  const data = asObject(await apiGet(mr(number, 'commits')));
  return { commits: asArray(data.items) as ProposedCommit[], truncated: data.truncated === true };
}
