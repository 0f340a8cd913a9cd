import type { DirectoryArea } from './directory-path.js';

/**
 * The clone and push rules of SPEC §6 (seed 004 §4) as data. A located path has a *shape*
 * (root, a directory, a repository, a subdirectory of a repository, or nothing yet); the table
 * says how each area serves and accepts each shape. The resolver looks rules up here and never
 * encodes them in branches of its own.
 */
export type PathShape = 'root' | 'directory' | 'repository' | 'subdirectory' | 'absent';

/**
 * How a path is served:
 * - `directory-history`: the directory repository itself, with its history (the root).
 * - `expanded-directory`: one synthetic commit whose tree has every b-link replaced by its
 *   repository's head tree (size-checked against `cloneLimit`).
 * - `repository-head`: one synthetic commit: the repository's head without parents.
 * - `repository-subtree`: the same, rooted at a subdirectory.
 * - `stored`: the stored repository, full history, all branches and tags.
 */
export type ServeMode =
  'directory-history' | 'expanded-directory' | 'repository-head' | 'repository-subtree' | 'stored';

/**
 * What a push does:
 * - `readme-only`: accepted when only README-type files at the top level change.
 * - `merge-request`: opens or updates a merge request, the branch does not move.
 * - `direct`: refs are updated as pushed (full history).
 * - `create`: the push creates the repository and adds its b-link to the directory.
 */
export type PushMode = 'readme-only' | 'merge-request' | 'direct' | 'create';

export type Rule<T> =
  { readonly allowed: true; readonly mode: T } | { readonly allowed: false; readonly reason: string };

export interface PathRule {
  readonly clone: Rule<ServeMode>;
  readonly push: Rule<PushMode>;
}

/** Refusal texts from the seed's table, printed by the git client. */
export const REFUSALS = {
  importDirectory: 'cannot merge several repositories into one: clone one repository under /import',
  importSubdirectory:
    'subdirectory clone of an imported repository is not allowed: clone the whole repository',
  notFound: 'no repository or directory at this path',
} as const;

const allow = <T>(mode: T): Rule<T> => ({ allowed: true, mode });
const refuse = (reason: string): Rule<never> => ({ allowed: false, reason });

const ROOT_RULE: PathRule = { clone: allow('directory-history'), push: allow('readme-only') };

const AREA_RULES: Readonly<Record<DirectoryArea, Readonly<Record<Exclude<PathShape, 'root'>, PathRule>>>> = {
  projects: {
    directory: { clone: allow('expanded-directory'), push: allow('merge-request') },
    repository: { clone: allow('repository-head'), push: allow('merge-request') },
    subdirectory: { clone: allow('repository-subtree'), push: allow('merge-request') },
    absent: { clone: refuse(REFUSALS.notFound), push: allow('create') },
  },
  import: {
    directory: { clone: refuse(REFUSALS.importDirectory), push: refuse(REFUSALS.importDirectory) },
    repository: { clone: allow('stored'), push: allow('direct') },
    subdirectory: { clone: refuse(REFUSALS.importSubdirectory), push: refuse(REFUSALS.importSubdirectory) },
    absent: { clone: refuse(REFUSALS.notFound), push: allow('create') },
  },
};

/** The rule for a located path; `area` is ignored for the root. */
export function ruleFor(shape: PathShape, area?: DirectoryArea): PathRule {
  if (shape === 'root' || area === undefined) return ROOT_RULE;
  return AREA_RULES[area][shape];
}
