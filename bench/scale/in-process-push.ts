import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectId } from '../../src/git/object-id.js';
import { EVERY_PATH, type ServedRepository } from '../../src/repo/served-repository.js';
import { createStoredRepositoryResolver } from '../../src/repo/stored-repositories.js';
import type { Storage } from '../../src/storage/storage.js';
import { ROOMY_PACK_LIMITS, ZERO_ID } from '../../tests/support/branchy-first-push.js';
import { gitText } from '../../tests/support/git-cli.js';

/**
 * The harnesses' first push, in process and without HTTP: the one pack of the bare repository
 * `repo` (a bench repository, repacked) into `repository`, then every ref of `repo` at once.
 * Returns the refs pushed (name, target).
 */
export async function pushRepositoryPack(
  repository: ServedRepository,
  repo: string,
): Promise<Array<[string, ObjectId]>> {
  const packDir = join(repo, 'objects', 'pack');
  const packFile = (await readdir(packDir)).find((name) => name.endsWith('.pack'));
  if (!packFile) throw new Error(`no pack in ${packDir}`);
  const refs = (await gitText(['-C', repo, 'for-each-ref', '--format=%(refname) %(objectname)']))
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, ObjectId]);
  await repository.receivePack(
    { chunks: createReadStream(join(packDir, packFile)), endsAt: 'input' },
    ROOMY_PACK_LIMITS,
  );
  await repository.updateRefs(
    refs.map(([refName, newId]) => ({ refName, oldId: ZERO_ID, newId })),
    { atomic: true },
  );
  return refs;
}

/** The harnesses' repository in `storage`, resolved afresh on each call as each request does. */
export function harnessRepository(storage: Storage): () => Promise<ServedRepository> {
  const resolver = createStoredRepositoryResolver(storage, { kindOf: () => 'import' });
  return () => resolver.resolve('/import/large', 'write', EVERY_PATH);
}
