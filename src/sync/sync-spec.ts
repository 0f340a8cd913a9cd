import { invalid } from '../platform/errors.js';

/** Everything a worker needs to sync one repository; built from the stored row, never the message. */
export interface SyncSpec {
  readonly tenantId: number;
  readonly repositoryId: number;
  readonly name: string;
  readonly url: string;
  /** The checked-out branch first, then further branches kept in the copy as `origin/<name>`. */
  readonly branches: readonly string[];
  readonly depth: number | null;
  readonly filter: string | null;
  readonly lfs: boolean;
  readonly submodules: boolean;
  readonly strictHostKey: boolean;
  /** Path under the server's `/import` the mirror is pushed to, e.g. `/import/playbooks`. */
  readonly mirrorTo: string | null;
}

// git-check-ref-format(1) rules for a branch name, minus the ones only a shell-free runner needs.
const BRANCH_FORBIDDEN = /(^[-./])|(\.\.)|[\0-\x20\x7f~^:?*[\\]|(@\{)|(\/\/)|([./]$)|(\.lock$)|(\/\.)/;
const FILTER = /^(blob:none|blob:limit=\d{1,12}[kmg]?|tree:\d{1,6})$/;
const MIRROR_PATH = /^\/import(\/[A-Za-z0-9._-]+)+$/;

export function assertBranchName(name: string): string {
  if (name.length === 0 || name.length > 255 || BRANCH_FORBIDDEN.test(name) || name === '@') {
    throw invalid('branch_invalid', 'not a valid branch name', { branch: name.slice(0, 100) });
  }
  return name;
}

export function assertFilterSpec(filter: string): string {
  if (!FILTER.test(filter))
    throw invalid('filter_invalid', 'filter must be blob:none, blob:limit=<n>[kmg] or tree:<depth>');
  return filter;
}

export function assertMirrorPath(path: string): string {
  if (!MIRROR_PATH.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw invalid('mirror_to_invalid', 'mirror_to must be a path under /import, e.g. /import/name');
  }
  return path;
}
