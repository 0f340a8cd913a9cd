/**
 * Harness (not part of `npm run bench`): the recorder's extension of the walk of every ref after a
 * push of a few commits to one branch of a large repository, with and without the moved tip's
 * bitmap (`moved-tip-bitmaps.ts`), and the walk of that branch's clone after the push (from the
 * bitmap, or over the whole repository). In process, SQLite.
 *
 *   npx tsx bench/scale/moved-tips-harness.ts <bare repository with one pack> [branch] [rounds] [merged]
 *
 * `merged`: a revision the last commit merges (its tree stays the branch's), e.g. another branch's
 * tip or an inner commit of it.
 */
import { join } from 'node:path';
import { git, gitText } from '../../tests/support/git-cli.js';
import { chunked, packOf } from '../../tests/support/git-fixtures.js';
import { ROOMY_PACK_LIMITS } from '../../tests/support/branchy-first-push.js';
import { createScratchDatabase, scratchStorage } from '../../tests/support/scratch-database.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { cloneWalkKey, fullCloneWalk, recordLikelyCloneWalks } from '../../src/repo/clone-walk.js';
import { extendRecordedWalk } from '../../src/repo/clone-walk-extension.js';
import { movedTipBitmaps } from '../../src/repo/moved-tip-bitmaps.js';
import type { ServedRepository } from '../../src/repo/served-repository.js';
import { loadAverage, timed } from '../report.js';
import { harnessRepository, pushRepositoryPack } from './in-process-push.js';

const [repo, branch = 'release-1', roundsArg = '3', merged] = process.argv.slice(2);
if (!repo) throw new Error('usage: moved-tips-harness.ts <bare repository> [branch] [rounds]');
const rounds = Number(roundsArg);

const work = await makeTempDir('mega-moved-tips-');
const scratch = await createScratchDatabase('sqlite');
const storage = scratchStorage(scratch, 1 << 20);
const resolve = harnessRepository(storage);
try {
  console.log(`load ${await loadAverage()}`);
  // The first push: the repository's one pack, every ref.
  const first = await resolve();
  const pushed = await timed(() => pushRepositoryPack(first, repo));
  const refs = pushed.value;
  console.log(`first push: ${pushed.wallMs} ms wall, ${pushed.cpuMs} ms CPU`);
  const recorded = await timed(() =>
    recordLikelyCloneWalks(first, new Map(refs.map(([refName]) => [refName, undefined]))),
  );
  console.log(
    `first recording (walks and tip bitmaps): ${recorded.wallMs} ms wall, ${recorded.cpuMs} ms CPU`,
  );
  const tipped = new Set(
    (await scratch.database.db.selectFrom('clone_walk_tips').select('tip').execute()).map((row) => row.tip),
  );
  const untipped = refs.filter(([, target]) => !tipped.has(target)).map(([name]) => name);
  console.log(
    `refs without a bitmap: ${untipped.length} of ${refs.length} (${untipped.slice(0, 8).join(' ')})`,
  );

  // A few commits on the branch, made in a bare clone sharing the repository's objects.
  const source = join(work.path, 'source.git');
  await git(['clone', '-q', '--bare', '--shared', repo, source]);
  const index = join(work.path, 'index');
  const env = { GIT_INDEX_FILE: index };
  const oldTip = (await gitText(['-C', source, 'rev-parse', `refs/heads/${branch}`])) as ObjectId;
  await git(['-C', source, 'read-tree', oldTip], { env });
  const files = (await gitText(['-C', source, 'ls-files', '-s'], { env })).split('\n').filter(Boolean);
  const [someMode, someBlob, , somePath] = (files[Math.floor(files.length / 2)] as string).split(/\s+/);
  let tip: string = oldTip;
  const changes: Array<[path: string, content: string | { blob: string }]> = [
    ['harness/new-file.txt', 'a new file\n'],
    [somePath as string, `edited by the harness\n`],
    ['harness/copy-of-a-blob', { blob: someBlob as string }],
  ];
  for (const [path, content] of changes) {
    const blob =
      typeof content === 'string'
        ? await gitText(['-C', source, 'hash-object', '-w', '--stdin'], { input: content })
        : content.blob;
    await git(['-C', source, 'update-index', '--add', '--cacheinfo', `${someMode},${blob},${path}`], { env });
    const tree = await gitText(['-C', source, 'write-tree'], { env });
    tip = await gitText(['-C', source, 'commit-tree', tree, '-p', tip, '-m', `harness: ${path}`]);
  }
  if (merged) {
    const tree = await gitText(['-C', source, 'rev-parse', `${tip}^{tree}`]);
    const other = await gitText(['-C', source, 'rev-parse', merged]);
    tip = await gitText([
      '-C',
      source,
      'commit-tree',
      tree,
      '-p',
      tip,
      '-p',
      other,
      '-m',
      `harness: merge ${merged}`,
    ]);
  }
  const newTip = tip as ObjectId;
  const later = await resolve();
  const before = (await later.listRefs()).refs;
  const previousWants = before.map((ref) => ref.target);
  const heads = before.filter((ref) => ref.name.startsWith('refs/heads/')).map((ref) => ref.target);
  const pack = await packOf(source, [newTip], { excluded: heads });
  await later.receivePack({ chunks: chunked(pack, 1 << 16), endsAt: 'input' }, ROOMY_PACK_LIMITS);
  await later.updateRefs([{ refName: `refs/heads/${branch}`, oldId: oldTip, newId: newTip }], {
    atomic: true,
  });
  const wants = (await later.listRefs()).refs.map((ref) => ref.target);
  const key = cloneWalkKey(wants, undefined);
  console.log(
    `pushed ${changes.length}${merged ? ' commits and a merge of ' + merged : ' commits'} to ${branch} (${pack.length} bytes)`,
  );

  const { db } = scratch.database;
  const dropExtension = async () => {
    const rows = await db.selectFrom('clone_walks').select('id').where('walk_key', '=', key).execute();
    const ids = rows.map((row) => Number(row.id));
    if (ids.length === 0) return;
    await db.deleteFrom('clone_walk_tips').where('walk_id', 'in', ids).execute();
    await db.deleteFrom('clone_walk_parts').where('walk_id', 'in', ids).execute();
    await db.deleteFrom('clone_walks').where('id', 'in', ids).execute();
  };
  /** The recorder's extension of the walk of every ref (`recordExtended`), with or without the new bitmap. */
  const extend = async (repository: ServedRepository, withBitmap: boolean) => {
    let deriveMs = 0;
    const result = await timed(async () => {
      const base = await repository.cloneWalks!.findExtendable(cloneWalkKey(previousWants, undefined));
      const extension = await extendRecordedWalk(repository.objects, base!, previousWants, wants);
      let derived = new Map<ObjectId, Uint8Array>();
      if (withBitmap) {
        const start = performance.now();
        derived = await movedTipBitmaps(
          repository.objects,
          base!,
          previousWants,
          wants,
          extension!,
          new Map([[newTip, oldTip]]),
        );
        deriveMs = Math.round(performance.now() - start);
      }
      await base!.saveExtended(key, extension!.appended, { kept: wants, derived });
      return { appended: extension!.appended.length, derived: derived.size };
    });
    return { ...result, deriveMs };
  };
  for (let round = 0; round < rounds; round++) {
    for (const withBitmap of [false, true]) {
      await dropExtension();
      const loadBefore = await loadAverage();
      const run = await extend(await resolve(), withBitmap);
      console.log(
        `extension ${withBitmap ? 'with   ' : 'without'} the bitmap: ${run.wallMs} ms wall, ${run.cpuMs} ms CPU` +
          ` (derive ${run.deriveMs} ms; appended ${run.value.appended}, bitmaps made ${run.value.derived}); load ${loadBefore} → ${await loadAverage()}`,
      );
    }
  }

  // The branch's clone after the push: from the bitmap (the last extension made one), or walked.
  for (let round = 0; round < Math.min(rounds, 2); round++) {
    for (const fromBitmap of [true, false]) {
      await dropExtension();
      await extend(await resolve(), fromBitmap);
      const repository = await resolve();
      const { refs: now } = await repository.listRefs();
      const loadBefore = await loadAverage();
      const clone = await timed(() => fullCloneWalk(repository, [newTip], undefined, now));
      console.log(
        `clone --single-branch --branch ${branch}: ${clone.value.fresh ? 'walked     ' : 'from bitmap'} ${clone.wallMs} ms wall, ` +
          `${clone.cpuMs} ms CPU, ${clone.value.objects.length} objects; load ${loadBefore} → ${await loadAverage()}`,
      );
    }
  }
  const check = await gitText(['-C', source, 'rev-list', '--objects', newTip]);
  console.log(`rev-list --objects ${branch}: ${check.split('\n').filter(Boolean).length} objects`);
} finally {
  await scratch.drop();
  await work.remove();
}
