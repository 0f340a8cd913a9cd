import { join } from 'node:path';
import type { ObjectId } from '../../src/git/object-id.js';
import type { RefUpdateRequest } from '../../src/repo/served-repository.js';
import { makeBranchyRepository, refTargets } from './branchy-repository.js';
import { gitText } from './git-cli.js';
import { packOf } from './git-fixtures.js';
import { makeTempDir } from './temp-dir.js';

export const ZERO_ID = '0'.repeat(40) as ObjectId;

/** Pack limits no test pack comes near, for tests that push through `receivePack` directly. */
export const ROOMY_PACK_LIMITS = {
  maxObjects: 1_000_000,
  maxObjectSize: 1 << 30,
  maxNonBlobSize: 1 << 26,
  maxPackSize: 1 << 30,
};

/** The branchy repository (spread dates) in a temp dir, with what a first push of all its refs sends. */
export interface BranchyFirstPush {
  readonly work: { path: string; remove: () => Promise<void> };
  /** The repository's working directory. */
  readonly source: string;
  /** A pack of every ref. */
  readonly pack: Buffer;
  /** One creation per ref. */
  readonly creates: RefUpdateRequest[];
}

export async function makeBranchyFirstPush(tempPrefix: string): Promise<BranchyFirstPush> {
  const work = await makeTempDir(tempPrefix);
  const source = join(work.path, 'source');
  await makeBranchyRepository(source, { spreadDates: true });
  const pack = await packOf(source, ['--all']);
  const creates = (await refTargets(source)).map(([refName, target]) => ({
    refName,
    oldId: ZERO_ID,
    newId: target as ObjectId,
  }));
  return { work, source, pack, creates };
}

/** What `git rev-list --objects` lists of `tips` in `dir`, sorted. */
export async function revListObjects(dir: string, tips: readonly string[]): Promise<string[]> {
  const listed = await gitText(['-C', dir, 'rev-list', '--objects', ...tips]);
  return listed
    .split('\n')
    .map((line) => line.slice(0, 40))
    .filter((id) => id !== '')
    .sort();
}
