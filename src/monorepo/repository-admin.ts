import { ObjectReader } from '../repo/browse/object-reader.js';
import { forbidden, isMegaError, notFound } from '../platform/errors.js';
import type { AccessStore } from '../storage/access/access-store.js';
import type { Repository } from '../storage/repository-store.js';
import { parseDirectoryPath } from './directory-path.js';
import { locatePath } from './locate-path.js';
import { DIRECTORY_PATH, MegaDirectory } from './mega-directory.js';
import type { MonorepoDeps } from './ports.js';

/** The access rules a deleted repository takes with it: its own grants, settings and patterns. */
export type PathRules = Pick<AccessStore, 'forgetPath'>;

export interface RepositoryAdminDeps {
  readonly monorepo: MonorepoDeps;
  /** Runs `work` with the monorepo's dependencies and the access rules bound to one transaction. */
  transaction<T>(work: (deps: MonorepoDeps, rules: PathRules) => Promise<T>): Promise<T>;
}

export interface RepairReport {
  /** Paths of repositories removed: a row without refs and without a b-link. */
  readonly removed: readonly string[];
  /** First pushes that never finished (a crash between receiving objects and creating refs). */
  readonly abandonedPushes: number;
}

/** Pending first pushes younger than this may still be running (on this or another server). */
export const PENDING_PUSH_GRACE_MS = 60 * 60 * 1000;

/**
 * What only an administrator does to a hosted repository: choose its default branch, delete it
 * with its b-link, and repair repositories half-created by first pushes of older versions (a
 * row left without refs and b-link made its path unusable for ever).
 */
export class RepositoryAdmin {
  constructor(private readonly deps: RepositoryAdminDeps) {}

  /** Points HEAD at an existing branch (`main` or `refs/heads/main`). */
  async setDefaultBranch(path: string, branch: string): Promise<Repository> {
    const repository = await this.hosted(path);
    const ref = branch.startsWith('refs/heads/') ? branch : `refs/heads/${branch}`;
    if ((await this.deps.monorepo.refs.get(repository.id, ref)) === undefined) {
      throw notFound('branch_not_found', `${path} has no branch ${ref.slice('refs/heads/'.length)}`, { ref });
    }
    await this.deps.monorepo.repositories.setHead(repository.id, ref);
    return { ...repository, headRef: ref };
  }

  /**
   * Deletes a repository and, in the same transaction, removes its b-link in a directory commit
   * and its own grants, settings and protected-branch patterns (a repository created later at the
   * same path starts without them; rules set on parent paths stay).
   */
  async deleteRepository(path: string, actor: string): Promise<{ unlinked: boolean }> {
    await this.hosted(path);
    return this.deps.transaction(async (deps, rules) => {
      const repository = await deps.repositories.require(path);
      const unlinked = await isLinked(deps, path);
      if (unlinked) await new MegaDirectory(deps).removeLink(path, actor, Date.now() / 1000);
      await deps.repositories.delete(repository.id);
      await rules.forgetPath(path);
      return { unlinked };
    });
  }

  /**
   * Removes repositories under `/projects` and `/import` that have neither refs nor a b-link
   * (nothing can reach or fill them, and they block their path), and pending first pushes older
   * than `PENDING_PUSH_GRACE_MS`. Idempotent; run by `mega serve` at start-up and by
   * `mega repo repair`.
   */
  async repair(now = Date.now()): Promise<RepairReport> {
    const removed: string[] = [];
    for (const repository of await this.deps.monorepo.repositories.listWithoutRefs()) {
      if (repository.kind === 'directory' || repository.path === DIRECTORY_PATH) continue;
      if (!isAreaPath(repository.path)) continue;
      const removedNow = await this.deps.transaction(async (deps, rules) => {
        if ((await deps.refs.list(repository.id)).length > 0) return false;
        if (await isLinked(deps, repository.path)) return false;
        await deps.repositories.delete(repository.id);
        await rules.forgetPath(repository.path);
        return true;
      });
      if (removedNow) removed.push(repository.path);
    }
    const cutoff = new Date(now - PENDING_PUSH_GRACE_MS).toISOString();
    const pending = await this.deps.monorepo.repositories.listPending(cutoff);
    for (const repository of pending) await this.deps.monorepo.repositories.delete(repository.id);
    return { removed, abandonedPushes: pending.length };
  }

  /** A repository an administrator may change: anything stored but the directory itself. */
  private async hosted(path: string): Promise<Repository> {
    if (path === DIRECTORY_PATH) {
      throw forbidden('directory_repository', 'the Mega directory itself cannot be changed this way');
    }
    return this.deps.monorepo.repositories.require(path);
  }
}

function isAreaPath(path: string): boolean {
  try {
    return parseDirectoryPath(path).kind !== 'root';
  } catch (error) {
    if (isMegaError(error)) return false;
    throw error;
  }
}

/** Whether the current directory version has the b-link of `path`. */
async function isLinked(deps: MonorepoDeps, path: string): Promise<boolean> {
  const head = await new MegaDirectory(deps).tryHead();
  if (!head) return false;
  try {
    const located = await locatePath(
      new ObjectReader(deps.objects.source),
      head.tree,
      parseDirectoryPath(path),
    );
    return located.shape === 'repository' && located.repoPath === path;
  } catch (error) {
    // A file that is not a b-link stands where the path leads: no link to this repository.
    if (isMegaError(error, 'not_found')) return false;
    throw error;
  }
}
