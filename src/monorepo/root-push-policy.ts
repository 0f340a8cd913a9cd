import { isZeroId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { diffTrees } from '../repo/browse/tree-diff.js';
import type {
  PathReader,
  PushContext,
  PushPolicy,
  RefDecision,
  RefUpdateRequest,
} from '../repo/served-repository.js';
import { isAncestor } from './ancestry.js';
import { canWrite, directoryFileRefusal, directoryOf } from './directory-files.js';
import { DEFAULT_BRANCH } from './ports.js';

const MAX_ROOT_CHANGES = 1000;

/**
 * Push rule of the root clone (SPEC §6, issue 22): the directory's branch may only move forward,
 * and only README-type files of existing directories may change (the top level, `projects/`,
 * `import/`, any directory without a b-link), each with `write` on its directory; the b-links
 * and everything else are changed by the server alone (creating a repository adds its b-link).
 */
export function rootPushPolicy(reader: PathReader): PushPolicy {
  return {
    async decide(update: RefUpdateRequest, context: PushContext): Promise<RefDecision> {
      if (update.refName !== DEFAULT_BRANCH) {
        return {
          action: 'reject',
          reason: `the Mega directory has only the branch ${DEFAULT_BRANCH.slice('refs/heads/'.length)}`,
        };
      }
      if (isZeroId(update.newId))
        return { action: 'reject', reason: 'the directory branch cannot be deleted' };
      if (isZeroId(update.oldId))
        return { action: 'reject', reason: 'the directory already exists: fetch it first' };
      if (!(await isAncestor(context.objects, update.oldId, update.newId))) {
        return { action: 'reject', reason: 'non-fast-forward: fetch the directory and rebase first' };
      }
      const objects = new ObjectReader(context.objects);
      const oldTree = (await objects.commit(update.oldId)).tree;
      const newTree = (await objects.commit(update.newId)).tree;
      const changes = await diffTrees(objects, oldTree, newTree, MAX_ROOT_CHANGES + 1);
      if (changes.length > MAX_ROOT_CHANGES) {
        return { action: 'reject', reason: `a root push changes at most ${MAX_ROOT_CHANGES} files` };
      }
      for (const change of changes) {
        const refusal = await directoryFileRefusal(objects, oldTree, change);
        if (refusal) return { action: 'reject', reason: refusal };
        const directory = directoryOf(change.path);
        if (!canWrite(reader, directory)) {
          return { action: 'reject', reason: `changing ${change.path} needs the write role on ${directory}` };
        }
      }
      return { action: 'accept' };
    },
  };
}
