/**
 * Harness (not part of `npm run bench`): the recorder after the everyday ref updates that leave
 * objects of the recorded walks unreached (an unmerged branch deleted, a branch rebased and
 * force-pushed, an annotated tag deleted or moved, a branch reset to a commit another ref
 * reaches), each from the state the one before left, on a large repository. The walks are
 * selected from the tips' bitmaps (`recordSelected` in `clone-walk.ts`); before, the recorder
 * walked the whole repository after each, which the harness times last (the walk of every likely
 * want set, as after a push it cannot extend). Every likely walk recorded is checked against `git
 * rev-list --objects` of its wants. In process, SQLite.
 *
 *   npx tsx bench/scale/dropped-refs-harness.ts <bare repository with one pack> [branch]
 *
 * `branch`: an unmerged branch the cases fork from and reset (`release-1` by default).
 */
import { join } from 'node:path';
import type { ObjectId } from '../../src/git/object-id.js';
import {
  cloneWalkKey,
  fullCloneWalk,
  likelyCloneWants,
  recordLikelyCloneWalks,
} from '../../src/repo/clone-walk.js';
import type { ServedRepository } from '../../src/repo/served-repository.js';
import { ROOMY_PACK_LIMITS, ZERO_ID } from '../../tests/support/branchy-first-push.js';
import { git, gitText } from '../../tests/support/git-cli.js';
import { chunked, packOf } from '../../tests/support/git-fixtures.js';
import { createScratchDatabase, scratchStorage } from '../../tests/support/scratch-database.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { loadAverage, timed } from '../report.js';
import { harnessRepository, pushRepositoryPack } from './in-process-push.js';

const [repo, branch = 'release-1'] = process.argv.slice(2);
if (!repo) throw new Error('usage: dropped-refs-harness.ts <bare repository> [branch]');

const work = await makeTempDir('mega-dropped-refs-');
const scratch = await createScratchDatabase('sqlite');
const storage = scratchStorage(scratch, 1 << 20);
const resolve = harnessRepository(storage);
/** A bare clone sharing the repository's objects: where new commits are made, its refs kept as the server's. */
const source = join(work.path, 'source.git');

interface Move {
  readonly refName: string;
  readonly oldId?: ObjectId;
  readonly newId?: ObjectId;
}

const revParse = async (revision: string) =>
  (await gitText(['-C', source, 'rev-parse', revision])) as ObjectId;

/** A commit on `parent` adding `path` (its content unique to the harness). */
async function commitOn(parent: ObjectId, path: string): Promise<ObjectId> {
  const env = { GIT_INDEX_FILE: join(work.path, 'index') };
  await git(['-C', source, 'read-tree', parent], { env });
  const blob = await gitText(['-C', source, 'hash-object', '-w', '--stdin'], { input: `${path}\n` });
  await git(['-C', source, 'update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
  const tree = await gitText(['-C', source, 'write-tree'], { env });
  return (await gitText([
    '-C',
    source,
    'commit-tree',
    tree,
    '-p',
    parent,
    '-m',
    `harness: ${path}`,
  ])) as ObjectId;
}

/** An annotated tag of `target` in `source`, its ref removed (the push sets it). */
async function annotatedTag(name: string, target: ObjectId): Promise<ObjectId> {
  await git(['-C', source, 'tag', '-a', name, '-m', name, target]);
  const id = await revParse(`refs/tags/${name}`);
  await git(['-C', source, 'tag', '-d', name]);
  return id;
}

/** Pushes `moves` (their objects from `source`) and mirrors them in `source`'s refs. */
async function push(moves: readonly Move[]): Promise<ServedRepository> {
  const repository = await resolve();
  const heads = (await repository.listRefs()).refs
    .filter((ref) => ref.name.startsWith('refs/heads/'))
    .map((ref) => ref.target);
  const news = moves.flatMap((move) => (move.newId ? [move.newId] : []));
  if (news.length > 0) {
    const pack = await packOf(source, news, { excluded: heads });
    await repository.receivePack({ chunks: chunked(pack, 1 << 16), endsAt: 'input' }, ROOMY_PACK_LIMITS);
  }
  const failed = await repository.updateRefs(
    moves.map((move) => ({
      refName: move.refName,
      oldId: move.oldId ?? ZERO_ID,
      newId: move.newId ?? ZERO_ID,
    })),
    { atomic: true },
  );
  if ([...failed.values()].some(Boolean))
    throw new Error(`refs not moved: ${[...failed.values()].join(' ')}`);
  for (const move of moves) {
    if (move.newId) await git(['-C', source, 'update-ref', move.refName, move.newId]);
    else await git(['-C', source, 'update-ref', '-d', move.refName]);
  }
  return resolve();
}

/** The recorder after `moves`, as after the push that made them. */
async function record(repository: ServedRepository, moves: readonly Move[]) {
  const snapshot = repository.objects.loadCloneSnapshot.bind(repository.objects);
  let walkedAll = false;
  repository.objects.loadCloneSnapshot = () => {
    walkedAll = true;
    return snapshot();
  };
  const run = await timed(() =>
    recordLikelyCloneWalks(repository, new Map(moves.map((move) => [move.refName, move.oldId]))),
  );
  return { ...run, walkedAll };
}

/** Every likely want set's recorded walk against `rev-list --objects` of its wants. */
async function check(repository: ServedRepository): Promise<string> {
  const results: string[] = [];
  for (const wants of await likelyCloneWants(repository)) {
    const recorded = await repository.cloneWalks!.find(cloneWalkKey(wants, undefined));
    const ids = (recorded ?? []).map((object) => object.id).sort();
    const expected = (
      await gitText(['-C', source, 'rev-list', '--objects', '--stdin'], { input: wants.join('\n') })
    )
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40))
      .sort();
    const same = ids.length === expected.length && ids.every((id, index) => id === expected[index]);
    if (!same || new Set(ids).size !== ids.length) {
      throw new Error(
        `walk of ${wants.length} wants: ${ids.length} recorded, ${expected.length} from rev-list`,
      );
    }
    results.push(`${wants.length} wants: ${ids.length} objects exact`);
  }
  return results.join(', ');
}

/** The keys of the likely walks of `repository`'s refs now. */
async function likelyKeys(repository: ServedRepository): Promise<string[]> {
  return (await likelyCloneWants(repository)).map((wants) => cloneWalkKey(wants, undefined));
}

/**
 * Drops the walks recorded for the refs as they are now, but those of `kept` (the refs before the
 * case's push): a branch created and deleted leaves the refs as they were before, whose walks are
 * kept as long as no other pushes came in between. The default branch's walk stays.
 */
async function forgetWalksOf(repository: ServedRepository, kept: readonly string[] = []): Promise<void> {
  const { db } = scratch.database;
  const keys = (await likelyKeys(repository)).filter((key) => !kept.includes(key));
  if (keys.length === 0) return;
  const rows = await db.selectFrom('clone_walks').select('id').where('walk_key', 'in', keys).execute();
  const ids = rows.map((row) => Number(row.id));
  if (ids.length === 0) return;
  await db.deleteFrom('clone_walk_tips').where('walk_id', 'in', ids).execute();
  await db.deleteFrom('clone_walk_parts').where('walk_id', 'in', ids).execute();
  await db.deleteFrom('clone_walks').where('id', 'in', ids).execute();
}

async function runCase(name: string, prepare: readonly Move[] | undefined, moves: readonly Move[]) {
  if (prepare) await record(await push(prepare), prepare);
  const before = await likelyKeys(await resolve());
  const repository = await push(moves);
  await forgetWalksOf(repository, before);
  const loadBefore = await loadAverage();
  const run = await record(repository, moves);
  console.log(
    `${name}: recorder ${run.wallMs} ms wall, ${run.cpuMs} ms CPU, ${run.walkedAll ? 'walked the repository' : 'no walk'}; ` +
      `load ${loadBefore} → ${await loadAverage()}; ${await check(repository)}`,
  );
  return repository;
}

try {
  console.log(`load ${await loadAverage()}`);
  await git(['clone', '-q', '--bare', '--shared', repo, source]);
  const first = await resolve();
  const refs = await pushRepositoryPack(first, repo);
  const recorded = await timed(() =>
    recordLikelyCloneWalks(first, new Map(refs.map(([refName]) => [refName, undefined]))),
  );
  console.log(`first recording: ${recorded.wallMs} ms wall, ${recorded.cpuMs} ms CPU`);
  const main = await revParse('refs/heads/main');
  const side = await revParse(`refs/heads/${branch}`);

  // A pull-request branch off the branch, deleted unmerged.
  const feature = await commitOn(await revParse(`${side}~20`), 'harness/feature.txt');
  await runCase(
    'unmerged branch deleted',
    [{ refName: 'refs/heads/feature', newId: feature }],
    [{ refName: 'refs/heads/feature', oldId: feature }],
  );

  // A branch off main~200, rebased onto main's tip and force-pushed.
  const forked = await commitOn(await revParse(`${main}~200`), 'harness/rebased.txt');
  const rebased = await commitOn(main, 'harness/rebased.txt');
  const afterRebase = await runCase(
    'branch rebased (force-push)',
    [{ refName: 'refs/heads/topic', newId: forked }],
    [{ refName: 'refs/heads/topic', oldId: forked, newId: rebased }],
  );
  const { refs: now } = await afterRebase.listRefs();
  const topicClone = await timed(() => fullCloneWalk(afterRebase, [rebased], undefined, now));
  console.log(
    `  clone --single-branch --branch topic: ${topicClone.value.fresh ? 'walked' : 'from the bitmaps'}, ` +
      `${topicClone.value.objects.length} objects, ${topicClone.wallMs} ms wall, ${topicClone.cpuMs} ms CPU`,
  );

  // An annotated tag of the branch's tip, deleted.
  const tag = await annotatedTag('harness-tag', side);
  await runCase(
    'annotated tag deleted',
    [{ refName: 'refs/tags/harness-tag', newId: tag }],
    [{ refName: 'refs/tags/harness-tag', oldId: tag }],
  );

  // An annotated tag moved from the branch's tip to main's (a new tag object).
  const moved = await annotatedTag('harness-tag-moved', main);
  await runCase(
    'annotated tag moved',
    [{ refName: 'refs/tags/harness-tag', newId: tag }],
    [{ refName: 'refs/tags/harness-tag', oldId: tag, newId: moved }],
  );

  // The branch reset to a commit main reaches: its own commits are no longer reached.
  const older = await revParse(`${main}~50`);
  const reset = await runCase('branch reset to main~50', undefined, [
    { refName: `refs/heads/${branch}`, oldId: side, newId: older },
  ]);

  // What the recorder did before after each of them: every likely walk over the whole repository.
  await forgetWalksOf(reset);
  const loadBefore = await loadAverage();
  const walked = await timed(() => recordLikelyCloneWalks(reset));
  console.log(
    `recorder walking the repository: ${walked.wallMs} ms wall, ${walked.cpuMs} ms CPU; load ${loadBefore} → ${await loadAverage()}`,
  );
} finally {
  await scratch.drop();
  await work.remove();
}
