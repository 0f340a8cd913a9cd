import { git } from '../../../../tests/support/git-cli.js';
import { dumpObjects } from '../../../../tests/support/git-fixtures.js';
import type { ObjectId } from '../../../git/object-id.js';
import type { ObjectType } from '../../../git/object.js';
import type { AdvertisedRef, RefSnapshot } from '../../served-repository.js';
import { completeObjectSource } from '../../single-read-objects.js';
import type { BrowsableRepository } from '../repository-browser.js';

/**
 * A `BrowsableRepository` read out of a real git repository made by the git CLI (for tests):
 * every object via `cat-file --batch-all-objects`, every ref via `for-each-ref`.
 */
export async function loadGitRepository(dir: string): Promise<BrowsableRepository> {
  const objects = new Map<string, { type: ObjectType; content: Buffer }>();
  for (const [id, object] of await dumpObjects(dir)) {
    objects.set(id, { type: object.type as ObjectType, content: object.data });
  }
  const refsText = (await git(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: dir })).stdout;
  const refs: AdvertisedRef[] = refsText
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [target, name] = line.split(' ');
      return { name: name!, target: target as ObjectId };
    });
  const head = (await git(['symbolic-ref', 'HEAD'], { cwd: dir })).stdout.toString('utf8').trim();
  const source = completeObjectSource({
    hasObjects: async (ids) => new Set(ids.filter((id) => objects.has(id))),
    readObject: async (id) => objects.get(id),
    readCommit: async () => undefined,
  });
  const snapshot: RefSnapshot = { refs, headTarget: head };
  return { path: '/test', listRefs: async () => snapshot, objects: source };
}
