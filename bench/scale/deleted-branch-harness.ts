/**
 * Harness (not part of `npm run bench`): the recorder after a push that only deletes a merged
 * branch of a large repository. The recorded walks are kept (the deleted tip is found from the
 * wants, `clone-walk-extension.ts`) instead of walking the whole repository again, which is what
 * the recorder does without the refs before the push. In process, SQLite.
 *
 *   npx tsx bench/scale/deleted-branch-harness.ts <bare repository with one pack> [commits behind main]
 *
 * The deleted branch points at `main~<commits behind main>` (150 by default).
 */
import type { ObjectId } from '../../src/git/object-id.js';
import { cloneWalkKey, recordLikelyCloneWalks } from '../../src/repo/clone-walk.js';
import { createScratchDatabase, scratchStorage } from '../../tests/support/scratch-database.js';
import { gitText } from '../../tests/support/git-cli.js';
import { ZERO_ID } from '../../tests/support/branchy-first-push.js';
import { loadAverage, timed } from '../report.js';
import { harnessRepository, pushRepositoryPack } from './in-process-push.js';

const [repo, behindArg = '150'] = process.argv.slice(2);
if (!repo) throw new Error('usage: deleted-branch-harness.ts <bare repository> [commits behind main]');
const behind = Number(behindArg);

const scratch = await createScratchDatabase('sqlite');
const storage = scratchStorage(scratch, 1 << 20);
const resolve = harnessRepository(storage);
try {
  console.log(`load ${await loadAverage()}`);
  const first = await resolve();
  const refs = await pushRepositoryPack(first, repo);
  await recordLikelyCloneWalks(first, new Map(refs.map(([refName]) => [refName, undefined])));
  // A branch merged `behind` commits ago: created at that commit of main (no tag points there),
  // recorded, then deleted.
  const target = (await gitText(['-C', repo, 'rev-parse', `main~${behind}`])) as ObjectId;
  if (refs.some(([, id]) => id === target)) throw new Error(`a ref points at main~${behind}: pick another`);
  const branch = 'refs/heads/merged-feature';
  const created = await resolve();
  await created.updateRefs([{ refName: branch, oldId: ZERO_ID, newId: target }], { atomic: true });
  await recordLikelyCloneWalks(created, new Map([[branch, undefined]]));
  console.log(`deleting a branch ${behind} commits behind main`);

  const repository = await resolve();
  await repository.updateRefs([{ refName: branch, oldId: target, newId: ZERO_ID }], {
    atomic: true,
  });
  const kept = await timed(() => recordLikelyCloneWalks(repository, new Map([[branch, target]])));
  console.log(
    `recorder with the refs before: ${kept.wallMs} ms wall, ${kept.cpuMs} ms CPU; load ${await loadAverage()}`,
  );

  // The same want sets recorded from scratch: what the recorder did before deletions were extended.
  const { db } = scratch.database;
  const wants = (await repository.listRefs()).refs.map((ref) => ref.target);
  const key = cloneWalkKey(wants, undefined);
  const rows = await db.selectFrom('clone_walks').select('id').where('walk_key', '=', key).execute();
  const ids = rows.map((row) => Number(row.id));
  if (ids.length > 0) {
    await db.deleteFrom('clone_walk_tips').where('walk_id', 'in', ids).execute();
    await db.deleteFrom('clone_walk_parts').where('walk_id', 'in', ids).execute();
    await db.deleteFrom('clone_walks').where('id', 'in', ids).execute();
  }
  const fresh = await resolve();
  const walked = await timed(() => recordLikelyCloneWalks(fresh));
  console.log(
    `recorder walking the repository: ${walked.wallMs} ms wall, ${walked.cpuMs} ms CPU; load ${await loadAverage()}`,
  );
} finally {
  await scratch.drop();
}
