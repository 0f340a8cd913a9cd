/**
 * Harness (not part of `npm run bench`): the first `git clone --filter=blob:limit=<n>` of a pushed
 * repository, replayed in process from the recorded walk of `git clone`'s want set (what
 * `upload-pack` does for it: `fullCloneWalk`, then `sendPack`), its pack counted or written to a
 * file. SQLite. The pushed database is kept in `<database dir>` and reused by later runs (pushing
 * the 497k-object bench repository takes minutes): remove the directory to push again.
 *
 *   npx tsx bench/scale/blob-limit-harness.ts <bare repository with one pack> <database dir> [rounds] [limit] [pack file] [--from-full-pack]
 *
 * `--from-full-pack`: first writes the full clone's pack and its entry index into the database
 * dir (as the clone cache keeps them), then each round cuts the partial pack out of it
 * (`sendCachedSubset`, what `upload-pack` does when a full clone of the same wants is cached).
 * Run it under `node --cpu-prof --import tsx` for a profile of the rounds.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fullCloneList, fullCloneWalk } from '../../src/repo/clone-walk.js';
import { sendCachedSubset } from '../../src/repo/cached-pack-subset.js';
import { PackEntryIndexBuilder } from '../../src/repo/pack-entry-index.js';
import { sendPack } from '../../src/repo/pack-sender.js';
import type { IndexedCachedPack } from '../../src/storage/pack-cache.js';
import { loadAverage, timed } from '../report.js';
import { openPushedRepository, gitCloneWants, packSink, replayRound } from './replay-harness.js';

const args = process.argv.slice(2);
const fromFull = args.includes('--from-full-pack');
const [repo, dbDir, roundsArg = '3', limitArg = '1024', packOut] = args.filter(
  (arg) => !arg.startsWith('--'),
);
if (!repo || !dbDir) {
  throw new Error(
    'usage: blob-limit-harness.ts <bare repository> <database dir> [rounds] [limit] [pack file] [--from-full-pack]',
  );
}
const rounds = Number(roundsArg);
const filter = { kind: 'blob:limit', limit: Number(limitArg) } as const;

const { storage, resolve } = await openPushedRepository(repo, dbDir);
try {
  const first = await resolve();
  const full = fromFull ? await writeFullPack(first, join(dbDir, 'full.pack')) : undefined;
  for (let round = 0; round < rounds; round++) {
    const repository = await resolve();
    const { refs } = await repository.listRefs();
    const wants = await gitCloneWants(repository, refs);
    const out = round === 0 ? packOut : undefined;
    if (full) await subsetRound(repository, wants, refs, full, round, out);
    else await replayRound(repository, { wants, filter, refs }, round, out);
  }
  await full?.file.close();
} finally {
  await storage.close();
}

type Repository = Awaited<ReturnType<typeof resolve>>;
type Refs = Awaited<ReturnType<Repository['listRefs']>>['refs'];

/** The full clone's pack written to `path` with its entry index, as the clone cache keeps them. */
async function writeFullPack(repository: Repository, path: string): Promise<IndexedCachedPack> {
  const { refs } = await repository.listRefs();
  const wants = await gitCloneWants(repository, refs);
  const walk = await fullCloneWalk(repository, wants, undefined, refs);
  const index = new PackEntryIndexBuilder(walk.objects.length, 20);
  const sink = packSink(path);
  await sendPack(
    walk.source,
    walk.objects,
    {
      ofsDelta: true,
      thinPack: false,
      clientHas: new Set(),
      onWritten: (object, _hint, offset) => index.add(object.id, offset),
    },
    sink,
  );
  await sink.close();
  const handle = await open(path, 'r');
  const indexBytes = index.finish();
  if (!indexBytes) throw new Error('the entry index does not cover the pack');
  console.log(`full pack written: ${walk.objects.length} objects`);
  return { file: handle, size: (await handle.stat()).size, index: indexBytes, indexWithChecksum: indexBytes };
}

async function subsetRound(
  repository: Repository,
  wants: Parameters<typeof fullCloneWalk>[1],
  refs: Refs,
  full: IndexedCachedPack,
  round: number,
  packOut: string | undefined,
): Promise<void> {
  const loadBefore = await loadAverage();
  // The list as upload-pack picks it when a full pack is cached: raw ids, not decoded.
  const walk = await timed(() => fullCloneList(repository, wants, filter, refs, undefined, true));
  const sink = packSink(packOut);
  const sent = await timed(() => sendCachedSubset(full, walk.value.list, walk.value.source, sink));
  if (!sent.value) throw new Error('the full pack does not hold the partial clone');
  await sink.close();
  console.log(
    `round ${round} (from the full pack): walk ${walk.wallMs} ms wall ${walk.cpuMs} ms CPU, send ${sent.wallMs} ms wall ` +
      `${sent.cpuMs} ms CPU; ${walk.value.list.count} objects, ${sent.value.reusedDeltas} deltas, ` +
      `${sink.bytes} bytes; load ${loadBefore} → ${await loadAverage()}`,
  );
}
