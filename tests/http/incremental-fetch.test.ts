import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitText } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { makeVariedHistory, type VariedHistory } from '../support/varied-history.js';
import { fsckStrict, parseLsRemote, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';

/**
 * Incremental fetches through the sparse object walk (src/repo/tree-walk.ts): a history with
 * merges, renames, a reverted file, moved subtrees, tags and an unrelated root is pushed in four
 * steps, and after each the real git fetches it into a clone, a mirror, a shallow clone and a
 * partial clone, each then checked with `git fsck --strict`.
 */
describe.each([0, 2])('incremental fetch with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  let history: VariedHistory;
  const dir = (name: string) => join(fx.work, `v${version}-${name}`);
  const url = () => fx.url(`/import/v${version}-varied.git`);

  beforeAll(async () => {
    fx = await startHttpFixture();
    history = await makeVariedHistory(dir('source'));
  }, 60_000);
  afterAll(async () => {
    await fx?.stop();
  });

  const push = (refspecs: Readonly<Record<string, string>>) =>
    fx.git(version, [
      '-C',
      dir('source'),
      'push',
      '-q',
      url(),
      ...Object.entries(refspecs).map(([ref, id]) => `${id}:${ref}`),
    ]);
  const serverRefs = async () => {
    const listed = parseLsRemote((await fx.anonymous(version, ['ls-remote', url()])).stdout.toString());
    return [...listed]
      .filter(([name]) => name !== 'HEAD' && !name.endsWith('^{}'))
      .map(([name, id]) => `${name} ${id}`)
      .sort()
      .join('\n');
  };

  it('fetches each push into a clone, a mirror, a shallow and a partial clone, fsck clean', async () => {
    const h = history;
    await push({ 'refs/heads/main': h.c4, 'refs/heads/topic': h.t1, 'refs/tags/v1': h.v1 });
    await fx.anonymous(version, ['clone', '-q', url(), dir('clone')]);
    await fx.anonymous(version, ['clone', '-q', '--mirror', url(), dir('mirror')]);
    await fx.anonymous(version, ['clone', '-q', '--depth', '1', '--no-single-branch', url(), dir('shallow')]);
    await fx.anonymous(version, ['clone', '-q', '--bare', '--filter=blob:none', url(), dir('partial')]);

    const steps: ReadonlyArray<Readonly<Record<string, string>>> = [
      // A merge of a branch that moved a subtree.
      { 'refs/heads/main': h.c5, 'refs/heads/topic': h.t2 },
      // A moved subtree, a lightweight tag.
      { 'refs/heads/main': h.c6, 'refs/tags/light': h.c6 },
      // An edit in the moved subtree, a directory replaced by a file, an unrelated root and a
      // merge of unrelated histories, an annotated tag.
      { 'refs/heads/main': h.c8, 'refs/tags/v2': h.v2, 'refs/heads/orphan': h.o1, 'refs/heads/joined': h.m1 },
    ];
    for (const step of steps) {
      await push(step);
      await fx.anonymous(version, ['-C', dir('clone'), 'fetch', '-q', '--tags', 'origin']);
      await fsckStrict(dir('clone'));
      await fx.anonymous(version, ['-C', dir('mirror'), 'fetch', '-q', '--prune', 'origin']);
      await fsckStrict(dir('mirror'));
      expect(await refsOf(dir('mirror'))).toBe(await serverRefs());
      await fx.anonymous(version, ['-C', dir('shallow'), 'fetch', '-q', 'origin']);
      await fsckStrict(dir('shallow'));
      await fx.anonymous(version, [
        '-C',
        dir('partial'),
        'fetch',
        '-q',
        '--filter=blob:none',
        'origin',
        '+refs/heads/*:refs/heads/*',
      ]);
      await fsckStrict(dir('partial'));
    }
    const main = await gitText(['-C', dir('clone'), 'rev-parse', 'origin/main']);
    expect(main).toBe(h.c8);
    expect(await gitText(['-C', dir('partial'), 'rev-parse', 'main'])).toBe(h.c8);

    // The shallow clone deepens below the merge, then takes the whole history.
    await fx.anonymous(version, ['-C', dir('shallow'), 'fetch', '-q', '--deepen', '1', 'origin']);
    await fsckStrict(dir('shallow'));
    expect(await gitText(['-C', dir('shallow'), 'rev-parse', '--is-shallow-repository'])).toBe('true');
    await fx.anonymous(version, ['-C', dir('shallow'), 'fetch', '-q', '--unshallow', 'origin']);
    await fsckStrict(dir('shallow'));
    expect(await gitText(['-C', dir('shallow'), 'rev-list', '--count', 'origin/main'])).toBe(
      await gitText(['-C', dir('source'), 'rev-list', '--count', h.c8]),
    );
  }, 120_000);

  it('sends an edited file as a delta on the version the client has (thin pack)', async () => {
    const source = dir('thin-source');
    const thinUrl = fx.url(`/import/v${version}-thin.git`);
    const text = (edit: string) =>
      Array.from({ length: 2000 }, (_, n) => `line ${n} of a long file${n === 1000 ? edit : ''}`).join('\n');
    await makeRepo(source, [{ 'docs/long.txt': text(''), 'other/a.txt': 'a\n' }]);
    await fx.git(version, ['-C', source, 'push', '-q', thinUrl, 'main']);
    await fx.anonymous(version, ['clone', '-q', '--bare', thinUrl, dir('thin-clone')]);
    await commitFile(source, 'docs/long.txt', text(' edited'), 'edit one line');
    await fx.git(version, ['-C', source, 'push', '-q', thinUrl, 'main']);
    const fetched = await fx.anonymous(version, [
      '-C',
      dir('thin-clone'),
      'fetch',
      '--progress',
      'origin',
      '+refs/heads/*:refs/heads/*',
    ]);
    // The stored delta of the new blob is reused against the blob the client has.
    expect(fetched.stderr).toMatch(/Total 4 \(delta 1\), reused 1 \(delta 1\)/);
    await fsckStrict(dir('thin-clone'));
  });
});
