/**
 * Harness (not part of `npm run bench`): what the clone walks of a first push pay for their row
 * keys, taken from the push's own inserts (`WrittenRowKeys`) or by the membership scan joined to
 * `raw_objects` (the path without them). In process, SQLite: the repository's one pack ingested
 * with its graph, then both ways alternated `rounds` times, the hints compared.
 *
 *   npx tsx bench/scale/graph-hints-harness.ts <bare repository with one pack> [rounds]
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOMY_PACK_LIMITS } from '../../tests/support/branchy-first-push.js';
import { insertRepositoryRow } from '../../tests/support/repository-rows.js';
import { createScratchDatabase, scratchStorage } from '../../tests/support/scratch-database.js';
import { loadAverage, timed } from '../report.js';

const [repo, roundsArg = '3'] = process.argv.slice(2);
if (!repo) throw new Error('usage: graph-hints-harness.ts <bare repository> [rounds]');
const rounds = Number(roundsArg);

const scratch = await createScratchDatabase('sqlite');
const storage = scratchStorage(scratch, 1 << 20);
try {
  console.log(`load ${await loadAverage()}`);
  const packDir = join(repo, 'objects', 'pack');
  const packFile = (await readdir(packDir)).find((name) => name.endsWith('.pack'));
  if (!packFile) throw new Error(`no pack in ${packDir}`);
  const repoId = await insertRepositoryRow(scratch.database.db, '/import/large');
  const ingest = await timed(() =>
    storage.ingestPack(repoId, createReadStream(join(packDir, packFile)), {
      limits: ROOMY_PACK_LIMITS,
      collectReferences: true,
      collectGraph: true,
    }),
  );
  const { graph, writtenRowKeys } = ingest.value;
  if (!graph || !writtenRowKeys) throw new Error('the ingest kept no graph or no row keys');
  console.log(`ingest: ${ingest.wallMs} ms wall, ${ingest.cpuMs} ms CPU, ${graph.size} objects`);
  for (let round = 1; round <= rounds; round++) {
    const carried = await timed(() => storage.cloneWalks.graphRowKeys(repoId, graph, writtenRowKeys));
    const scanned = await timed(() => storage.cloneWalks.graphRowKeys(repoId, graph));
    let differ = 0;
    for (let number = 0; number < graph.size; number++)
      if (carried.value(number)?.toString() !== scanned.value(number)?.toString()) differ++;
    console.log(
      `round ${round} (load ${await loadAverage()}): carried ${carried.wallMs} ms wall, ${carried.cpuMs} ms CPU; ` +
        `scanned ${scanned.wallMs} ms wall, ${scanned.cpuMs} ms CPU; ${differ} hints differ`,
    );
  }
} finally {
  await scratch.drop();
}
