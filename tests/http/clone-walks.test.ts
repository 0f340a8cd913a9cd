import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filteredObjects, git, gitText, presentObjects } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';
import { dulwichFetchRefs } from '../support/dulwich.js';

const RECORDED = 'walk recorded earlier';
const hasObject = async (dir: string, id: string) =>
  (await git(['-C', dir, 'cat-file', '-e', id], { check: false })).code === 0;

/**
 * Full clones replay the object walk recorded after a push (or by an earlier clone) instead of
 * walking the history; the pack cache is off so every clone is computed.
 */
describe.each([0, 2])('recorded clone walks with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/walked.git');
  const database = () => new Database(join(fx.work, 'data', 'mega.db'));
  const clone = async (args: readonly string[], target: string) => {
    const result = await fx.anonymous(version, ['clone', '--progress', ...args, url(), dir(target)]);
    return result.stderr.toString();
  };

  beforeAll(async () => {
    fx = await startHttpFixture({ env: { MEGA_CLONE_PACK_CACHE_BYTES: '0' } });
    await makeFileHistory(dir('origin'), 6);
    await git(['-C', dir('origin'), 'tag', '-a', 'v1', '-m', 'release one', 'HEAD~2']);
    await git(['-C', dir('origin'), 'branch', 'topic', 'HEAD~3']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main', 'topic', 'v1']);
    // Stopping the server waits for the walks the push asked for.
    await fx.restart();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('a clone and a mirror clone after a push replay the walk recorded for them', async () => {
    const mirror = await clone(['--mirror'], 'mirror.git');
    expect(mirror).toContain(RECORDED);
    await fsckStrict(dir('mirror.git'));
    expect(await refsOf(dir('mirror.git'))).toBe(
      await refsOf(dir('origin')).then((refs) =>
        refs
          .split('\n')
          .filter((line) => !line.includes('refs/remotes/'))
          .join('\n'),
      ),
    );
    expect(await gitText(['-C', dir('mirror.git'), 'cat-file', '-t', 'v1'])).toBe('tag');

    const plain = await clone([], 'plain');
    expect(plain).toContain(RECORDED);
    await fsckStrict(dir('plain'));
    expect(await gitText(['-C', dir('plain'), 'rev-parse', 'HEAD'])).toBe(
      await gitText(['-C', dir('origin'), 'rev-parse', 'main']),
    );
  });

  it('records the mirror and the branches-and-tags want sets apart when other refs exist', async () => {
    const hidden = await commitFile(dir('origin'), 'hidden.txt', 'only under refs/custom\n', 'hidden');
    await git(['-C', dir('origin'), 'reset', '-q', '--hard', 'HEAD~1']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), `${hidden}:refs/custom/hidden`]);
    await fx.restart();

    expect(await clone(['--mirror'], 'with-custom.git')).toContain(RECORDED);
    expect(await hasObject(dir('with-custom.git'), hidden)).toBe(true);
    await fsckStrict(dir('with-custom.git'));
    expect(await clone(['--no-checkout'], 'without-custom')).toContain(RECORDED);
    expect(await hasObject(dir('without-custom'), hidden)).toBe(false);
    await fsckStrict(dir('without-custom'));
  });

  it('a deleted branch is not in the next recorded walk', async () => {
    const doomed = await commitFile(dir('origin'), 'doomed.txt', 'soon unreachable\n', 'doomed');
    await git(['-C', dir('origin'), 'reset', '-q', '--hard', 'HEAD~1']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), `${doomed}:refs/heads/doomed`]);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), ':refs/heads/doomed']);
    await fx.restart();
    expect(await clone(['--mirror'], 'after-delete.git')).toContain(RECORDED);
    expect(await hasObject(dir('after-delete.git'), doomed)).toBe(false);
    await fsckStrict(dir('after-delete.git'));
  });

  it('a partial clone replays the recorded walk less what its filter drops', async () => {
    for (const filter of ['blob:none', 'tree:0']) {
      const target = `partial-${filter.replace(':', '-')}`;
      expect(await clone([`--filter=${filter}`, '--no-checkout'], target)).toContain(RECORDED);
      // Exactly what git's own filter keeps of the branches and tags, annotated tags included.
      expect(await presentObjects(dir(target))).toEqual(await filteredObjects(dir('origin'), filter));
      await fsckStrict(dir(target));
    }
    // By size and by depth (the files are 10 to 60 bytes, in dir/): the record less what git drops.
    // Limits inside a recorded size class (30, 48: some sizes read) and at its edges (16, 32, 64).
    const limits = ['blob:limit=30', 'blob:limit=48', 'blob:limit=16', 'blob:limit=32', 'blob:limit=64'];
    for (const filter of [...limits, 'tree:1', 'tree:2', 'tree:3']) {
      const target = `partial-${filter.replace(/[:=]/g, '-')}`;
      expect(await clone([`--filter=${filter}`, '--bare'], target), filter).toContain(RECORDED);
      expect(await presentObjects(dir(target)), filter).toEqual(await filteredObjects(dir('origin'), filter));
      await fsckStrict(dir(target));
      // What the filter left out is fetched lazily (a tree and a blob below depth 1).
      expect(await gitText(['-C', dir(target), 'show', 'HEAD:dir/file1.txt']), filter).toBe('content 1');
    }
    const checkedOut = await clone(['--filter=blob:none'], 'partial-checkout');
    expect(checkedOut).toContain(RECORDED);
    // The checkout fetched the blobs lazily.
    expect(await gitText(['-C', dir('partial-checkout'), 'show', 'HEAD:dir/file1.txt'])).toBe('content 1');
    await fsckStrict(dir('partial-checkout'));
  });

  it('a walk recorded before size classes gives the same partial clones, its blobs sizes read', async () => {
    // Every entry's size class cleared (the type code alone in its first byte), as recorded
    // before classes were: [id length] then [type][20-byte id][6-byte row key] per entry.
    const db = database();
    try {
      const parts = db.prepare('select walk_id, seq, data from clone_walk_parts').all() as Array<{
        walk_id: number;
        seq: number;
        data: Buffer;
      }>;
      let classed = 0;
      for (const part of parts) {
        for (let offset = 1; offset < part.data.length; offset += 27) {
          if (part.data[offset]! > 7) classed++;
          part.data[offset]! &= 7;
        }
        db.prepare('update clone_walk_parts set data = ? where walk_id = ? and seq = ?').run(
          part.data,
          part.walk_id,
          part.seq,
        );
      }
      // The push's record carried a class with every stored object.
      expect(classed).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    for (const filter of ['blob:limit=30', 'blob:limit=32']) {
      const target = `unclassed-${filter.replace(/[:=]/g, '-')}`;
      expect(await clone([`--filter=${filter}`, '--bare'], target), filter).toContain(RECORDED);
      expect(await presentObjects(dir(target)), filter).toEqual(await filteredObjects(dir('origin'), filter));
      await fsckStrict(dir(target));
    }
  });

  it('a clone of the default branch alone (--single-branch) replays its record: what C git sends', async () => {
    // C git serves the same clones from the origin, filters allowed.
    await git(['-C', dir('origin'), 'config', 'uploadpack.allowFilter', 'true']);
    const filters = ['blob:none', 'tree:0', 'blob:limit=30', 'tree:1', 'tree:2'].map((f) => [
      `--filter=${f}`,
    ]);
    for (const filter of [[], ...filters]) {
      const target = `default-branch${filter.join('').replace(/[=:]/g, '-')}`;
      expect(await clone(['--bare', '--single-branch', ...filter], `${target}.git`)).toContain(RECORDED);
      const fromGit = ['clone', '-q', '--bare', '--single-branch', ...filter, '--no-local'];
      await git([...fromGit, `file://${dir('origin')}`, dir(`${target}-by-git.git`)]);
      expect(await presentObjects(dir(`${target}.git`)), target).toEqual(
        await presentObjects(dir(`${target}-by-git.git`)),
      );
      expect(await refsOf(dir(`${target}.git`))).toBe(await refsOf(dir(`${target}-by-git.git`)));
      await fsckStrict(dir(`${target}.git`));
    }
  });

  it('a partial clone of a want set nobody recorded walks first, then replays its own record', async () => {
    // Without the tips' bitmaps (tests/http/clone-walk-tips.test.ts), which would answer it.
    const db = database();
    try {
      db.prepare('delete from clone_walk_tips').run();
    } finally {
      db.close();
    }
    const single = ['--filter=blob:none', '--no-checkout', '--single-branch', '--branch', 'topic'];
    const first = await clone(single, 'single-1');
    expect(first).not.toContain(RECORDED);
    const second = await clone(single, 'single-2');
    expect(second).toContain(RECORDED);
    expect(await presentObjects(dir('single-2'))).toEqual(await presentObjects(dir('single-1')));
    await fsckStrict(dir('single-2'));
  });

  it('a damaged record is walked again, and the clone is complete', async () => {
    const db = database();
    try {
      db.prepare('update clone_walk_parts set data = ?').run(Buffer.from([20, 1, 2, 3]));
    } finally {
      db.close();
    }
    const damaged = await clone(['--mirror'], 'after-damage.git');
    expect(damaged).not.toContain(RECORDED);
    await fsckStrict(dir('after-damage.git'));
    expect(await refsOf(dir('after-damage.git'))).toBe(await refsOf(dir('after-delete.git')));
    // That clone recorded its walk again.
    expect(await clone(['--mirror'], 'recorded-again.git')).toContain(RECORDED);
  });

  it('a fast-forward push extends the recorded walk: the next clone replays it and is complete', async () => {
    const next = await commitFile(dir('origin'), 'next.txt', 'one more\n', 'one more');
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main']);
    await fx.restart();
    expect(await clone(['--mirror'], 'after-fast-forward.git')).toContain(RECORDED);
    expect(await hasObject(dir('after-fast-forward.git'), next)).toBe(true);
    await fsckStrict(dir('after-fast-forward.git'));
    expect(await clone(['--no-checkout'], 'plain-after-fast-forward')).toContain(RECORDED);
    await fsckStrict(dir('plain-after-fast-forward'));
    const single = await clone(['--bare', '--single-branch'], 'single-after-fast-forward.git');
    expect(single).toContain(RECORDED);
    expect(await hasObject(dir('single-after-fast-forward.git'), next)).toBe(true);
    await git([
      'clone',
      '-q',
      '--bare',
      '--single-branch',
      `file://${dir('origin')}`,
      dir('single-by-git.git'),
    ]);
    expect(await presentObjects(dir('single-after-fast-forward.git'))).toEqual(
      await presentObjects(dir('single-by-git.git')),
    );
    await fsckStrict(dir('single-after-fast-forward.git'));
  });

  it('a rewound branch is walked again, not extended: its dropped commit is not sent', async () => {
    const dropped = await commitFile(dir('origin'), 'dropped.txt', 'soon rewound\n', 'dropped');
    await git(['-C', dir('origin'), 'reset', '-q', '--hard', 'HEAD~1']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), `${dropped}:refs/heads/rewound`]);
    await fx.restart();
    const push = ['push', '-q', '--force', url(), `${dropped}~1:refs/heads/rewound`];
    await fx.git(version, ['-C', dir('origin'), ...push]);
    await fx.restart();
    expect(await clone(['--mirror'], 'after-rewind.git')).toContain(RECORDED);
    expect(await hasObject(dir('after-rewind.git'), dropped)).toBe(false);
    await fsckStrict(dir('after-rewind.git'));
  });

  it('a merged branch deleted keeps the recorded walk: the next clone is complete and holds no extra', async () => {
    const merged = await commitFile(dir('origin'), 'merged.txt', 'merged then deleted\n', 'merged');
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), `${merged}:refs/heads/feature`]);
    await fx.restart();
    // Merged: main moves past it. Then the branch is deleted alone.
    await commitFile(dir('origin'), 'after.txt', 'after the merge\n', 'after');
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main']);
    await fx.restart();
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), ':refs/heads/feature']);
    await fx.restart();
    expect(await clone(['--mirror'], 'after-merged-delete.git')).toContain(RECORDED);
    expect(await hasObject(dir('after-merged-delete.git'), merged)).toBe(true);
    const reachable = (
      await gitText(['-C', dir('after-merged-delete.git'), 'rev-list', '--objects', '--all'])
    )
      .split('\n')
      .map((line) => line.slice(0, 40))
      .filter((id) => id !== '')
      .sort();
    expect(await presentObjects(dir('after-merged-delete.git'))).toEqual(reachable);
    await fsckStrict(dir('after-merged-delete.git'));
  });
  it('a branch rebased and force-pushed, an annotated tag deleted: every clone holds exactly what its refs reach', async () => {
    const origin = dir('origin');
    const objectsOf = async (repo: string, revs: readonly string[]) =>
      (await gitText(['-C', repo, 'rev-list', '--objects', ...revs]))
        .split('\n')
        .map((line) => line.slice(0, 40))
        .filter((id) => id !== '')
        .sort();
    // A pull-request branch off an older commit and a tag of it, pushed and recorded.
    await git(['-C', origin, 'checkout', '-q', '-b', 'pr', 'main~2']);
    const forked = await commitFile(origin, 'pr.txt', 'the change\n', 'pr');
    await git(['-C', origin, 'tag', '-a', 'pr-tag', '-m', 'soon deleted', forked]);
    await fx.git(version, ['-C', origin, 'push', '-q', url(), 'pr', 'pr-tag']);
    await fx.restart();
    // Rebased onto main and force-pushed; the tag deleted.
    await git(['-C', origin, 'rebase', '-q', 'main']);
    const rebased = await gitText(['-C', origin, 'rev-parse', 'HEAD']);
    await git(['-C', origin, 'checkout', '-q', 'main']);
    await fx.git(version, ['-C', origin, 'push', '-q', '--force', url(), 'pr']);
    await fx.restart();
    await fx.git(version, ['-C', origin, 'push', '-q', url(), ':refs/tags/pr-tag']);
    await fx.restart();

    expect(await clone(['--mirror'], 'after-rebase.git')).toContain(RECORDED);
    expect(await hasObject(dir('after-rebase.git'), forked)).toBe(false);
    expect(await hasObject(dir('after-rebase.git'), rebased)).toBe(true);
    expect(await presentObjects(dir('after-rebase.git'))).toEqual(
      await objectsOf(dir('after-rebase.git'), ['--all']),
    );
    await fsckStrict(dir('after-rebase.git'));
    for (const [args, target] of [
      [['--bare'], 'after-rebase-plain.git'],
      [['--bare', '--single-branch'], 'after-rebase-default.git'],
      [['--bare', '--single-branch', '--branch', 'pr'], 'after-rebase-pr.git'],
    ] as const) {
      await clone(args, target);
      expect(await presentObjects(dir(target)), target).toEqual(await objectsOf(dir(target), ['--all']));
      await fsckStrict(dir(target));
    }
    expect(await hasObject(dir('after-rebase-pr.git'), rebased)).toBe(true);
    // Partial: exactly what git's own filter keeps of the refs the server has now.
    await clone(['--bare', '--filter=blob:limit=30'], 'after-rebase-limit.git');
    expect(await presentObjects(dir('after-rebase-limit.git'))).toEqual(
      (await filteredObjects(dir('after-rebase.git'), 'blob:limit=30')).sort(),
    );
    await fsckStrict(dir('after-rebase-limit.git'));
    // An independent client wanting every ref gets the same selected walk, nothing the dropped
    // refs alone reached.
    const refs = (
      await gitText(['-C', dir('after-rebase.git'), 'for-each-ref', '--format=%(refname)'])
    ).split('\n');
    await dulwichFetchRefs(url(), dir('after-rebase-dulwich'), refs);
    expect(await hasObject(dir('after-rebase-dulwich'), forked)).toBe(false);
    expect(await presentObjects(dir('after-rebase-dulwich'))).toEqual(
      await objectsOf(dir('after-rebase-dulwich'), ['--all']),
    );
    await fsckStrict(dir('after-rebase-dulwich'));
  });
});
