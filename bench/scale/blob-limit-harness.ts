/**
 * Harness (not part of `npm run bench`): the first `git clone --filter=blob:limit=<n>` of a pushed
 * repository, replayed in process from the recorded walk of `git clone`'s want set (what
 * `upload-pack` does for it: `fullCloneWalk`, then `sendPack`), its pack counted or written to a
 * file. SQLite. The pushed database is kept in `<database dir>` and reused by later runs (pushing
 * the 497k-object bench repository takes minutes): remove the directory to push again.
 *
 *   npx tsx bench/scale/blob-limit-harness.ts <bare repository with one pack> <database dir> [rounds] [limit] [pack file]
 *
 * Run it under `node --cpu-prof --import tsx` for a profile of the rounds.
 */
import { openPushedRepository, gitCloneWants, replayRound } from './replay-harness.js';

const [repo, dbDir, roundsArg = '3', limitArg = '1024', packOut] = process.argv.slice(2);
if (!repo || !dbDir) {
  throw new Error(
    'usage: blob-limit-harness.ts <bare repository> <database dir> [rounds] [limit] [pack file]',
  );
}
const rounds = Number(roundsArg);
const filter = { kind: 'blob:limit', limit: Number(limitArg) } as const;

const { storage, resolve } = await openPushedRepository(repo, dbDir);
try {
  for (let round = 0; round < rounds; round++) {
    const repository = await resolve();
    const { refs } = await repository.listRefs();
    const wants = await gitCloneWants(repository, refs);
    await replayRound(repository, { wants, filter, refs }, round, round === 0 ? packOut : undefined);
  }
} finally {
  await storage.close();
}
