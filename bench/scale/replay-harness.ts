import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { ObjectId } from '../../src/git/object-id.js';
import type { ObjectFilter } from '../../src/git/protocol/filter-spec.js';
import { fullCloneWalk, likelyCloneWants, recordLikelyCloneWalks } from '../../src/repo/clone-walk.js';
import { sendPack } from '../../src/repo/pack-sender.js';
import type { AdvertisedRef, ServedRepository } from '../../src/repo/served-repository.js';
import { migrateToLatest } from '../../src/storage/migrations/migrator.js';
import { openDatabase } from '../../src/storage/open-database.js';
import { createStorage, type Storage } from '../../src/storage/storage.js';
import { loadAverage, timed } from '../report.js';
import { harnessRepository, pushRepositoryPack } from './in-process-push.js';

/**
 * What the replay harnesses (`blob-limit-harness.ts`, `branch-clone-harness.ts`) share: a SQLite
 * database in `dbDir` holding the bench repository `repo` pushed and recorded once (pushing the
 * 497k-object repository takes minutes, so later runs reuse it), and one timed replay of a first
 * clone as `upload-pack` answers it (`fullCloneWalk`, then `sendPack`).
 */
export async function openPushedRepository(
  repo: string,
  dbDir: string,
): Promise<{ storage: Storage; resolve: () => Promise<ServedRepository> }> {
  const dbFile = join(dbDir, 'mega.db');
  const fresh = !existsSync(dbFile);
  await mkdir(dbDir, { recursive: true });
  const url = `sqlite:${dbFile}`;
  const database = openDatabase(url);
  if (fresh) await migrateToLatest(database);
  const storage = createStorage(database, {
    databaseUrl: url,
    dataDir: dbDir,
    largeObjectThreshold: 1 << 20,
  });
  const resolve = harnessRepository(storage);
  console.log(`load ${await loadAverage()}`);
  if (fresh) {
    const first = await resolve();
    const pushed = await timed(async () => {
      const refs = await pushRepositoryPack(first, repo);
      await recordLikelyCloneWalks(first, new Map(refs.map(([refName]) => [refName, undefined])));
    });
    console.log(`pushed and recorded: ${pushed.wallMs} ms wall, ${pushed.cpuMs} ms CPU`);
  }
  return { storage, resolve };
}

/** `git clone`'s want set (branches and tags: the second likely set, after `--mirror`'s). */
export async function gitCloneWants(
  repository: ServedRepository,
  refs: readonly AdvertisedRef[],
): Promise<readonly ObjectId[]> {
  const branchesAndTags = refs.filter(
    (ref) => ref.name.startsWith('refs/heads/') || ref.name.startsWith('refs/tags/'),
  ).length;
  const wants = (await likelyCloneWants(repository)).find((set) => set.length === branchesAndTags);
  if (!wants) throw new Error('no recorded want set of git clone');
  return wants;
}

/**
 * One replayed first clone of `wants`: the walk must come from a record or a bitmap (a fresh walk
 * throws). Prints the walk's and the send's wall and CPU time; the pack goes to `packOut` if given.
 */
export async function replayRound(
  repository: ServedRepository,
  request: { wants: readonly ObjectId[]; filter: ObjectFilter | undefined; refs: readonly AdvertisedRef[] },
  round: number,
  packOut: string | undefined,
): Promise<void> {
  const loadBefore = await loadAverage();
  const walk = await timed(() => fullCloneWalk(repository, request.wants, request.filter, request.refs));
  if (walk.value.fresh) throw new Error('the clone walked: no record or bitmap answered it');
  const sink = packSink(packOut);
  const sent = await timed(() =>
    sendPack(
      walk.value.source,
      walk.value.objects,
      { ofsDelta: true, thinPack: false, clientHas: new Set() },
      sink,
    ),
  );
  await sink.close();
  console.log(
    `round ${round}: walk ${walk.wallMs} ms wall ${walk.cpuMs} ms CPU, send ${sent.wallMs} ms wall ` +
      `${sent.cpuMs} ms CPU; ${walk.value.objects.length} objects, ${sent.value.reusedDeltas} deltas, ` +
      `${sink.bytes} bytes; load ${loadBefore} → ${await loadAverage()}`,
  );
}

/** Where a harness round sends its pack: counted, and written to `packOut` when one is given. */
export function packSink(packOut: string | undefined) {
  const file = packOut ? createWriteStream(packOut) : undefined;
  const sink = {
    bytes: 0,
    async write(chunk: Buffer) {
      sink.bytes += chunk.length;
      if (file && !file.write(chunk)) await once(file, 'drain');
    },
    async close() {
      if (!file) return;
      file.end();
      await once(file, 'finish');
    },
  };
  return sink;
}
