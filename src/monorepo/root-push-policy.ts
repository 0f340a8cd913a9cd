import { isZeroId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { diffTrees } from '../repo/browse/tree-diff.js';
import type { PushContext, PushPolicy, RefDecision, RefUpdateRequest } from '../repo/served-repository.js';
import { isAncestor } from './ancestry.js';
import { DEFAULT_BRANCH } from './ports.js';

/** README-type files: `README`, `README.md`, `readme.txt` … (any case, one extension). */
export const README_NAME = /^readme(\.[A-Za-z0-9]{1,16})?$/i;
const MAX_ROOT_CHANGES = 1000;

/**
 * Push rule of the root clone (SPEC §6): the directory's branch may only move forward, and only
 * README-type files at the top level may change; `projects/`, `import/` and the b-links are
 * changed by the server alone (creating a repository adds its b-link).
 */
export const rootPushPolicy: PushPolicy = {
  async decide(update: RefUpdateRequest, context: PushContext): Promise<RefDecision> {
    if (update.refName !== DEFAULT_BRANCH) {
      return {
        action: 'reject',
        reason: `the Mega directory has only the branch ${DEFAULT_BRANCH.slice('refs/heads/'.length)}`,
      };
    }
    if (isZeroId(update.newId)) return { action: 'reject', reason: 'the directory branch cannot be deleted' };
    if (isZeroId(update.oldId))
      return { action: 'reject', reason: 'the directory already exists: fetch it first' };
    if (!(await isAncestor(context.objects, update.oldId, update.newId))) {
      return { action: 'reject', reason: 'non-fast-forward: fetch the directory and rebase first' };
    }
    const reader = new ObjectReader(context.objects);
    const oldTree = (await reader.commit(update.oldId)).tree;
    const newTree = (await reader.commit(update.newId)).tree;
    const changes = await diffTrees(reader, oldTree, newTree, MAX_ROOT_CHANGES);
    const bad = changes.find(
      (change) =>
        change.path.includes('/') ||
        !README_NAME.test(change.path) ||
        (change.newMode !== undefined && entryKind(change.newMode) !== 'blob'),
    );
    if (bad) {
      return {
        action: 'reject',
        reason: `only README files at the top level can change through the root (${bad.path}); push code to a repository under /projects`,
      };
    }
    return { action: 'accept' };
  },
};
