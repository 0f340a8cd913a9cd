import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';
import { dulwichFetchRefs } from '../support/dulwich.js';
import { git, gitText, presentObjects } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';

const RECORDED = 'walk recorded earlier';

/** Every object `revs` reach in `repo`, sorted (`rev-list --objects`, ids only). */
const reachedObjects = async (repo: string, ...revs: string[]) =>
  (await gitText(['-C', repo, 'rev-list', '--objects', ...revs]))
    .split('\n')
    .map((line) => line.slice(0, 40))
    .filter((id) => id !== '')
    .sort();

/**
 * Want sets no walk is recorded for, answered from the ref tips' bitmaps over the recorded walk
 * of every ref (built after the first push): `clone --single-branch --branch <other>`, its
 * partial variant, a fetch of some refs into an empty repository, by C git and by dulwich. Each
 * gets exactly what C git's own server sends, fsck-clean, and the server records no new walk
 * (it walked nothing). The pack cache is off so every clone is computed.
 */
describe.each([0, 2])('clones of some ref tips with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/tips.git');
  const walkCount = () => {
    const database = new Database(join(fx.work, 'data', 'mega.db'), { readonly: true });
    try {
      return (database.prepare('select count(*) as n from clone_walks').get() as { n: number }).n;
    } finally {
      database.close();
    }
  };
  /** The same clone from C git's server (`file://`, a pack over the wire like ours). */
  const cGitClone = async (args: readonly string[], target: string) => {
    await git([
      '-c',
      `protocol.version=${version}`,
      'clone',
      '-q',
      ...args,
      `file://${dir('origin')}`,
      dir(target),
    ]);
  };

  beforeAll(async () => {
    fx = await startHttpFixture({ env: { MEGA_CLONE_PACK_CACHE_BYTES: '0' } });
    await makeFileHistory(dir('origin'), 6);
    const origin = dir('origin');
    await git(['-C', origin, 'tag', '-a', 'v1', '-m', 'release one', 'HEAD~4']);
    await git(['-C', origin, 'tag', 'v2', 'HEAD~1']);
    // A branch with commits of its own, forked from the middle of main.
    await git(['-C', origin, 'checkout', '-q', '-b', 'topic', 'HEAD~3']);
    await commitFile(origin, 'topic/a.txt', 'only on topic\n', 'topic a');
    await commitFile(origin, 'dir/file2.txt', 'changed on topic\n', 'topic b');
    await git(['-C', origin, 'tag', '-a', 'topic-v1', '-m', 'on topic', 'HEAD']);
    await git(['-C', origin, 'checkout', '-q', 'main']);
    await git(['-C', origin, 'branch', 'old', 'HEAD~5']);
    await fx.git(version, [
      '-C',
      origin,
      'push',
      '-q',
      url(),
      'main',
      'topic',
      'old',
      'v1',
      'v2',
      'topic-v1',
    ]);
    // C git's own server filters only when the served repository says so.
    await git(['-C', origin, 'config', 'uploadpack.allowFilter', 'true']);
    // Stopping the server waits for the walks the push asked for.
    await fx.restart();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('clone --single-branch --branch <other>: what C git sends, from the bitmaps', async () => {
    const walks = walkCount();
    for (const branch of ['topic', 'old']) {
      const target = `single-${branch}.git`;
      const cloned = await fx.anonymous(version, [
        'clone',
        '--progress',
        '--bare',
        '--single-branch',
        '--branch',
        branch,
        url(),
        dir(target),
      ]);
      expect(cloned.stderr.toString(), branch).toContain(RECORDED);
      await cGitClone(['--bare', '--single-branch', '--branch', branch], `c-${target}`);
      expect(await presentObjects(dir(target)), branch).toEqual(await presentObjects(dir(`c-${target}`)));
      expect(await refsOf(dir(target)), branch).toBe(await refsOf(dir(`c-${target}`)));
      await fsckStrict(dir(target));
    }
    // Checked out, and partial (blob:none; the checkout fetches its blobs lazily).
    const checkout = await fx.anonymous(version, [
      'clone',
      '--progress',
      '--single-branch',
      '--branch',
      'topic',
      url(),
      dir('topic-work'),
    ]);
    expect(checkout.stderr.toString()).toContain(RECORDED);
    expect(await gitText(['-C', dir('topic-work'), 'show', 'HEAD:topic/a.txt'])).toBe('only on topic');
    await fsckStrict(dir('topic-work'));
    const partial = await fx.anonymous(version, [
      'clone',
      '--progress',
      '--bare',
      '--filter=blob:none',
      '--single-branch',
      '--branch',
      'topic',
      url(),
      dir('topic-partial.git'),
    ]);
    expect(partial.stderr.toString()).toContain(RECORDED);
    await cGitClone(
      ['--bare', '--filter=blob:none', '--single-branch', '--branch', 'topic'],
      'c-topic-partial.git',
    );
    expect(await presentObjects(dir('topic-partial.git'))).toEqual(
      await presentObjects(dir('c-topic-partial.git')),
    );
    await fsckStrict(dir('topic-partial.git'));
    // Nothing was walked, so nothing new was recorded.
    expect(walkCount()).toBe(walks);
  });

  it('a fetch of some refs into an empty repository: what C git sends, fsck-clean', async () => {
    const walks = walkCount();
    const specs = ['refs/heads/topic:refs/heads/topic', 'refs/tags/v1:refs/tags/v1'];
    for (const [target, from] of [
      ['fetched', url()],
      ['c-fetched', `file://${dir('origin')}`],
    ] as const) {
      await git(['init', '-q', '--bare', dir(target)]);
      const fetched = await fx.anonymous(version, [
        '-C',
        dir(target),
        'fetch',
        '--progress',
        '--no-tags',
        from,
        ...specs,
      ]);
      if (target === 'fetched') expect(fetched.stderr.toString()).toContain(RECORDED);
    }
    expect(await presentObjects(dir('fetched'))).toEqual(await presentObjects(dir('c-fetched')));
    expect(await refsOf(dir('fetched'))).toBe(await refsOf(dir('c-fetched')));
    await fsckStrict(dir('fetched'));
    expect(walkCount()).toBe(walks);
  });

  it('dulwich fetches one branch and one tag into a new repository: exactly what they reach', async () => {
    if (version !== 2) return;
    const walks = walkCount();
    const target = dir('dulwich');
    await dulwichFetchRefs(url(), target, ['refs/heads/topic', 'refs/tags/v2']);
    expect(await presentObjects(target)).toEqual(await reachedObjects(dir('origin'), 'topic', 'v2'));
    await fsckStrict(target);
    expect(walkCount()).toBe(walks);
  });

  /** `clone --bare --single-branch --branch <branch>` from us and from C git: the same objects and refs, fsck-clean. */
  const cloneBranch = async (branch: string, target: string) => {
    const cloned = await fx.anonymous(version, [
      'clone',
      '--progress',
      '--bare',
      '--single-branch',
      '--branch',
      branch,
      url(),
      dir(target),
    ]);
    await cGitClone(['--bare', '--single-branch', '--branch', branch], `c-${target}`);
    expect(await presentObjects(dir(target)), target).toEqual(await presentObjects(dir(`c-${target}`)));
    expect(await refsOf(dir(target)), target).toBe(await refsOf(dir(`c-${target}`)));
    await fsckStrict(dir(target));
    return cloned.stderr.toString();
  };

  /** Commits on `branch` of the origin (a file, or a merge of `merged`) and pushes it. */
  const pushToBranch = async (
    branch: string,
    change: { file: string; content: string } | { merged: string },
  ) => {
    const origin = dir('origin');
    await git(['-C', origin, 'checkout', '-q', branch]);
    if ('merged' in change) {
      await git(['-C', origin, 'merge', '-q', '--no-ff', '-m', `merge ${change.merged}`, change.merged]);
    } else {
      await commitFile(origin, change.file, change.content, `add ${change.file}`);
    }
    await git(['-C', origin, 'checkout', '-q', 'main']);
    await fx.git(version, ['-C', origin, 'push', '-q', url(), branch]);
    // Stopping the server waits for the walks the push asked for.
    await fx.restart();
  };

  it('a branch pushed to again (fast-forwards, merges, a new branch) is cloned from the bitmaps', async () => {
    const origin = dir('origin');
    const branch = `moving-${version}`;
    await git(['-C', origin, 'branch', branch, 'topic']);
    // A new branch off a tip that has a bitmap.
    await fx.git(version, ['-C', origin, 'push', '-q', url(), branch]);
    await fx.restart();
    const steps: Array<{ file: string; content: string } | { merged: string }> = [
      { file: `${branch}/new.txt`, content: 'new on the branch\n' },
      // The same content as a file of main: a blob the record holds already.
      {
        file: `${branch}/copy.txt`,
        content: (await gitText(['-C', origin, 'show', 'main:dir/file2.txt'])) + '\n',
      },
      // An inner commit of another branch, then that branch's tip.
      { merged: 'main~2' },
      { merged: 'main' },
    ];
    for (const [index, change] of [undefined, ...steps].entries()) {
      if (change) await pushToBranch(branch, change);
      const walks = walkCount();
      const stderr = await cloneBranch(branch, `moving-${version}-${index}.git`);
      expect(stderr, `step ${index}`).toContain(RECORDED);
      // Nothing was walked, so nothing new was recorded.
      expect(walkCount(), `step ${index}`).toBe(walks);
    }

    // An independent client gets the moved tip from its bitmap too: exactly what it reaches.
    const walks = walkCount();
    const target = dir(`moving-${version}-dulwich`);
    await dulwichFetchRefs(url(), target, [`refs/heads/${branch}`]);
    expect(await presentObjects(target)).toEqual(await reachedObjects(origin, branch));
    await fsckStrict(target);
    expect(walkCount()).toBe(walks);

    // Rewound to a commit no ref named: walked, and still what C git sends.
    await fx.git(version, ['-C', origin, 'push', '-q', '--force', url(), `topic~1:refs/heads/${branch}`]);
    await git(['-C', origin, 'branch', '-f', branch, 'topic~1']);
    await fx.restart();
    const stderr = await cloneBranch(branch, `moving-${version}-rewound.git`);
    expect(stderr).not.toContain(RECORDED);
  });

  it('--depth 1 still walks: complete and what C git sends', async () => {
    const shallow = `shallow-topic-${version}.git`;
    await fx.anonymous(version, [
      'clone',
      '-q',
      '--bare',
      '--depth',
      '1',
      '--single-branch',
      '--branch',
      'topic',
      url(),
      dir(shallow),
    ]);
    await cGitClone(['--bare', '--depth', '1', '--single-branch', '--branch', 'topic'], `c-${shallow}`);
    expect(await presentObjects(dir(shallow))).toEqual(await presentObjects(dir(`c-${shallow}`)));
    await fsckStrict(dir(shallow));
  });
});
