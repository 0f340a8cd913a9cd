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
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ObjectId } from '../../src/git/object-id.js';
import { parseFilterSpec } from '../../src/git/protocol/filter-spec.js';
import { fullCloneWalk, likelyCloneWants, recordLikelyCloneWalks } from '../../src/repo/clone-walk.js';
import { sendPack } from '../../src/repo/pack-sender.js';
import { migrateToLatest } from '../../src/storage/migrations/migrator.js';
import { openDatabase } from '../../src/storage/open-database.js';
import { createStorage } from '../../src/storage/storage.js';
import { loadAverage, timed } from '../report.js';
import { harnessRepository, pushRepositoryPack } from './in-process-push.js';

const [repo, dbDir, roundsArg = '3', branch = 'release-1', filterArg = 'none', packOut] =
  process.argv.slice(2);
if (!repo || !dbDir) {
  throw new Error(
    'usage: branch-clone-harness.ts <bare repository> <database dir> [rounds] [branch] [filter] [pack file]',
  );
}
const rounds = Number(roundsArg);
const filter = filterArg === 'none' ? undefined : parseFilterSpec(filterArg);

const dbFile = join(dbDir, 'mega.db');
const fresh = !existsSync(dbFile);
await mkdir(dbDir, { recursive: true });
const url = `sqlite:${dbFile}`;
const database = openDatabase(url);
if (fresh) await migrateToLatest(database);
const storage = createStorage(database, { databaseUrl: url, dataDir: dbDir, largeObjectThreshold: 1 << 20 });
const resolve = harnessRepository(storage);
try {
  console.log(`load ${await loadAverage()}`);
  if (fresh) {
    const first = await resolve();
    const pushed = await timed(async () => {
      const refs = await pushRepositoryPack(first, repo);
      await recordLikelyCloneWalks(first, new Map(refs.map(([refName]) => [refName, undefined])));
    });
    console.log(`pushed and recorded: ${pushed.wallMs} ms wall, ${pushed.cpuMs} ms CPU`);
  }
  for (let round = 0; round < rounds; round++) {
    const repository = await resolve();
    const { refs } = await repository.listRefs();
    let wants: readonly ObjectId[];
    if (filter) {
      const cloneWants = (await likelyCloneWants(repository)).find(
        (set) =>
          set.length ===
          refs.filter((ref) => ref.name.startsWith('refs/heads/') || ref.name.startsWith('refs/tags/'))
            .length,
      );
      if (!cloneWants) throw new Error('no recorded want set of git clone');
      wants = cloneWants;
    } else {
      const tip = refs.find((ref) => ref.name === `refs/heads/${branch}`);
      if (!tip) throw new Error(`no branch ${branch}`);
      wants = [tip.target];
    }
    const loadBefore = await loadAverage();
    const walk = await timed(() => fullCloneWalk(repository, wants, filter, refs));
    if (walk.value.fresh) throw new Error('the clone walked: no record or bitmap answered it');
    const file = packOut && round === 0 ? createWriteStream(packOut) : undefined;
    let bytes = 0;
    const sink = {
      async write(chunk: Buffer) {
        bytes += chunk.length;
        if (file && !file.write(chunk)) await once(file, 'drain');
      },
    };
    const sent = await timed(() =>
      sendPack(
        walk.value.source,
        walk.value.objects,
        { ofsDelta: true, thinPack: false, clientHas: new Set() },
        sink,
      ),
    );
    if (file) {
      file.end();
      await once(file, 'finish');
    }
    console.log(
      `round ${round}: walk ${walk.wallMs} ms wall ${walk.cpuMs} ms CPU, send ${sent.wallMs} ms wall ` +
        `${sent.cpuMs} ms CPU; ${walk.value.objects.length} objects, ${sent.value.reusedDeltas} deltas, ` +
        `${bytes} bytes; load ${loadBefore} → ${await loadAverage()}`,
    );
  }
} finally {
  await storage.close();
}
