/**
 * Harness (not part of `npm run bench`): the first `git clone --single-branch --branch <branch>`
 * of a pushed repository (the scale bench's `clone-other-branch`), replayed in process from the
 * ref tip bitmaps over the recorded walk of every ref (what `upload-pack` does for it:
 * `fullCloneWalk`, then `sendPack`), its pack counted or written to a file. SQLite. The pushed
 * database is kept in `<database dir>` and reused by later runs (pushing the 497k-object bench
 * repository takes minutes): remove the directory to push again. `filter`: `none`, or a filter
 * spec such as `tree:1` (then the want set is `git clone`'s, as the bench's `clone-tree-1`).
 *
 *   npx tsx bench/scale/branch-clone-harness.ts <bare repository with one pack> <database dir> [rounds] [branch] [filter] [pack file]
 *
 * Run it under `node --cpu-prof --import tsx` for a profile of the rounds.
 */
import type { ObjectId } from '../../src/git/object-id.js';
import { parseFilterSpec } from '../../src/git/protocol/filter-spec.js';
import { openPushedRepository, gitCloneWants, replayRound } from './replay-harness.js';

const [repo, dbDir, roundsArg = '3', branch = 'release-1', filterArg = 'none', packOut] =
  process.argv.slice(2);
if (!repo || !dbDir) {
  throw new Error(
    'usage: branch-clone-harness.ts <bare repository> <database dir> [rounds] [branch] [filter] [pack file]',
  );
}
const rounds = Number(roundsArg);
const filter = filterArg === 'none' ? undefined : parseFilterSpec(filterArg);

const { storage, resolve } = await openPushedRepository(repo, dbDir);
try {
  for (let round = 0; round < rounds; round++) {
    const repository = await resolve();
    const { refs } = await repository.listRefs();
    let wants: readonly ObjectId[];
    if (filter) {
      wants = await gitCloneWants(repository, refs);
    } else {
      const tip = refs.find((ref) => ref.name === `refs/heads/${branch}`);
      if (!tip) throw new Error(`no branch ${branch}`);
      wants = [tip.target];
    }
    await replayRound(repository, { wants, filter, refs }, round, round === 0 ? packOut : undefined);
  }
} finally {
  await storage.close();
}
