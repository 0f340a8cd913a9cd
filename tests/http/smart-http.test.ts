import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { fsckStrict, parseLsRemote, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';

/** The real git against a real `mega serve`, once per protocol version. */
describe.each([0, 2])('smart HTTP with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, `v${version}-${name}`);
  const repoPath = (name: string) => `/import/v${version}-${name}.git`;

  beforeAll(async () => {
    fx = await startHttpFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('clones an empty repository, then the first push fills it', async () => {
    const url = fx.url(repoPath('empty'));
    // A repository whose only ref was deleted is empty. (A tag: the first branch pushed would
    // become HEAD, and the default branch cannot be deleted.)
    await makeFileHistory(dir('seed'), 1);
    await fx.git(version, ['-C', dir('seed'), 'push', '-q', url, 'main:refs/tags/scratch']);
    await fx.git(version, ['-C', dir('seed'), 'push', '-q', url, ':refs/tags/scratch']);
    const cloned = await fx.git(version, ['clone', url, dir('empty')]);
    expect(cloned.stderr).toContain('cloned an empty repository');
    await commitFile(dir('empty'), 'README.md', '# hello\n', 'first');
    // v0 has no way to advertise an unborn HEAD, so the local branch name may differ.
    await fx.git(version, ['-C', dir('empty'), 'push', '-q', 'origin', 'HEAD:refs/heads/main']);
    await fx.anonymous(version, ['clone', '-q', url, dir('empty-again')]);
    expect(await readFile(join(dir('empty-again'), 'README.md'), 'utf8')).toBe('# hello\n');
    await fsckStrict(dir('empty-again'));
  });

  it('pushes a new repository, clones it, fetches and pulls incrementally', async () => {
    const url = fx.url(repoPath('main'));
    await makeFileHistory(dir('origin'), 5);
    const pushed = await fx.git(version, ['-C', dir('origin'), 'push', url, 'main']);
    expect(pushed.stderr).toContain('[new branch]');
    await fx.anonymous(version, ['clone', '-q', url, dir('a')]);
    await fsckStrict(dir('a'));
    expect(await gitText(['-C', dir('a'), 'rev-parse', 'HEAD'])).toBe(
      await gitText(['-C', dir('origin'), 'rev-parse', 'HEAD']),
    );
    expect(await gitText(['-C', dir('a'), 'symbolic-ref', 'HEAD'])).toBe('refs/heads/main');

    const next = await commitFile(dir('origin'), 'dir/file2.txt', 'changed\n', 'change a file');
    await commitFile(dir('origin'), 'new/deep/file.txt', 'new\n', 'add a file');
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url, 'main']);
    await fx.anonymous(version, ['-C', dir('a'), 'fetch', '-q', 'origin']);
    expect(await gitText(['-C', dir('a'), 'rev-parse', 'origin/main~1'])).toBe(next);
    await fx.anonymous(version, ['-C', dir('a'), 'pull', '-q', '--ff-only']);
    expect(await readFile(join(dir('a'), 'new/deep/file.txt'), 'utf8')).toBe('new\n');
    await fsckStrict(dir('a'));
  });

  it('pushes and deletes branches and annotated tags; ls-remote shows them', async () => {
    const url = fx.url(repoPath('main'));
    await git(['-C', dir('origin'), 'branch', 'topic', 'HEAD~2']);
    await git(['-C', dir('origin'), 'tag', '-a', 'v1.0', '-m', 'release', 'HEAD~1']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url, 'topic', 'v1.0']);
    let refs = parseLsRemote((await fx.anonymous(version, ['ls-remote', url])).stdout.toString());
    expect(refs.get('refs/heads/topic')).toBe(await gitText(['-C', dir('origin'), 'rev-parse', 'topic']));
    expect(refs.get('refs/tags/v1.0')).toBe(await gitText(['-C', dir('origin'), 'rev-parse', 'v1.0']));
    expect(refs.get('refs/tags/v1.0^{}')).toBe(await gitText(['-C', dir('origin'), 'rev-parse', 'v1.0^{}']));
    expect(refs.get('HEAD')).toBe(refs.get('refs/heads/main'));

    await fx.anonymous(version, ['clone', '-q', url, dir('tags')]);
    expect(await gitText(['-C', dir('tags'), 'tag'])).toBe('v1.0');
    await fsckStrict(dir('tags'));

    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url, ':topic', ':refs/tags/v1.0']);
    refs = parseLsRemote((await fx.anonymous(version, ['ls-remote', url])).stdout.toString());
    expect(refs.has('refs/heads/topic')).toBe(false);
    expect(refs.has('refs/tags/v1.0')).toBe(false);
  });

  it('rejects a non-fast-forward update of the default branch with a reason git prints', async () => {
    const url = fx.url(repoPath('main'));
    const before = await gitText(['-C', dir('origin'), 'rev-parse', 'HEAD']);
    await git(['-C', dir('origin'), 'commit', '-q', '--amend', '-m', 'rewritten']);
    const forced = await fx.git(version, ['-C', dir('origin'), 'push', '--force', url, 'main'], {
      check: false,
    });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain(
      '[remote rejected] main -> main (non-fast-forward update of a protected branch)',
    );
    // --atomic: the acceptable update is not applied either.
    const atomic = await fx.git(
      version,
      ['-C', dir('origin'), 'push', '--atomic', '--force', url, 'main', 'HEAD:refs/heads/atomic-side'],
      { check: false },
    );
    expect(atomic.code).not.toBe(0);
    expect(atomic.stderr).toContain('atomic push failed');
    const refs = parseLsRemote((await fx.anonymous(version, ['ls-remote', url])).stdout.toString());
    expect(refs.has('refs/heads/atomic-side')).toBe(false);
    const deleted = await fx.git(version, ['-C', dir('origin'), 'push', url, ':main'], { check: false });
    expect(deleted.stderr).toContain('deleting the default branch is not allowed');
    await git(['-C', dir('origin'), 'reset', '-q', '--hard', before]);
    // Other branches may be rewritten; push options are accepted.
    await fx.git(version, [
      '-C',
      dir('origin'),
      'push',
      '-q',
      '-o',
      'ci.skip',
      url,
      'HEAD:refs/heads/feature',
    ]);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', '--force', url, 'HEAD~1:refs/heads/feature']);
  });

  it('shallow clone, then --deepen, then --unshallow', async () => {
    const url = fx.url(repoPath('main'));
    await fx.anonymous(version, ['clone', '-q', '--depth', '1', url, dir('shallow')]);
    const count = async () => Number(await gitText(['-C', dir('shallow'), 'rev-list', '--count', 'HEAD']));
    expect(await count()).toBe(1);
    await fx.anonymous(version, ['-C', dir('shallow'), 'fetch', '-q', '--deepen', '2']);
    expect(await count()).toBe(3);
    await fsckStrict(dir('shallow'));
    await fx.anonymous(version, ['-C', dir('shallow'), 'fetch', '-q', '--unshallow']);
    expect(await count()).toBe(7);
    expect(await gitText(['-C', dir('shallow'), 'rev-parse', '--is-shallow-repository'])).toBe('false');
    await fsckStrict(dir('shallow'));
    await fx.anonymous(version, ['clone', '-q', '--shallow-since', '1700000000', url, dir('since')]);
    await fsckStrict(dir('since'));
  });

  it('partial clone with blob:none fetches blobs lazily at checkout', async () => {
    const url = fx.url(repoPath('main'));
    await fx.anonymous(version, ['clone', '-q', '--no-checkout', '--filter=blob:none', url, dir('partial')]);
    const missing = (
      await gitText(['-C', dir('partial'), 'rev-list', '--objects', '--all', '--missing=print'])
    )
      .split('\n')
      .filter((line) => line.startsWith('?'));
    expect(missing.length).toBeGreaterThan(0);
    await fx.anonymous(version, ['-C', dir('partial'), 'checkout', '-q', 'main']);
    expect(await readFile(join(dir('partial'), 'new/deep/file.txt'), 'utf8')).toBe('new\n');
    await fsckStrict(dir('partial'));
    await fx.anonymous(version, ['clone', '-q', '--filter=tree:0', url, dir('treeless')]);
    await fsckStrict(dir('treeless'));
    await fx.anonymous(version, ['clone', '-q', '--filter=blob:limit=10', url, dir('limited')]);
    await fsckStrict(dir('limited'));
  });
});
