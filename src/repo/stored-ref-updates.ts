import { isZeroId } from '../git/object-id.js';
import { isMegaError } from '../platform/errors.js';
import type { Repository } from '../storage/repository-store.js';
import type { StorageScope } from '../storage/storage.js';
import { chooseDefaultBranch } from './default-branch.js';
import type { RefUpdateRequest, RefUpdateResults } from './served-repository.js';

// Ref updates of a stored repository, on the store or inside a caller's transaction (a first push).

/** Applies ref updates through `scope` (the store, or a transaction) and says per ref how it went. */
export async function applyRefUpdates(
  scope: StorageScope,
  repoId: number,
  updates: readonly RefUpdateRequest[],
  atomic: boolean,
): Promise<Map<string, string | undefined>> {
  const results = new Map<string, string | undefined>();
  const casUpdates = updates.map((update) => ({
    name: update.refName,
    oldId: update.oldId,
    newId: update.newId,
  }));
  if (atomic) {
    try {
      await scope.refs.updateAtomic(repoId, casUpdates);
      for (const update of updates) results.set(update.refName, undefined);
    } catch (error) {
      if (!isMegaError(error)) throw error;
      for (const update of updates) results.set(update.refName, refFailureReason(error));
    }
    return results;
  }
  const outcomes = await scope.refs.updateEach(repoId, casUpdates);
  for (const outcome of outcomes) {
    results.set(outcome.name, outcome.error ? refFailureReason(outcome.error) : undefined);
  }
  return results;
}

export function succeeded(
  updates: readonly RefUpdateRequest[],
  results: RefUpdateResults,
): RefUpdateRequest[] {
  return updates.filter((update) => results.has(update.refName) && results.get(update.refName) === undefined);
}

/**
 * While HEAD names a branch that does not exist, the first branch a push creates becomes HEAD
 * (`chooseDefaultBranch`). Returns the repository with its HEAD as stored.
 */
export async function adoptHead(
  scope: StorageScope,
  repository: Repository,
  landed: readonly RefUpdateRequest[],
): Promise<Repository> {
  const created = landed.filter((update) => !isZeroId(update.newId)).map((update) => update.refName);
  const head = chooseDefaultBranch(created);
  if (head === undefined || head === repository.headRef) return repository;
  if ((await scope.refs.get(repository.id, repository.headRef)) !== undefined) return repository;
  await scope.repositories.setHead(repository.id, head);
  return { ...repository, headRef: head };
}

export function refFailureReason(error: Error & { code?: string }): string {
  if (isMegaError(error, 'conflict', 'ref_conflict'))
    return 'failed to lock: the ref changed since you fetched it; fetch first';
  return error.message;
}
