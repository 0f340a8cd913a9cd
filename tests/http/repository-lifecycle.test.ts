import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import { git, gitText } from '../support/git-cli.js';
import { startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';

/**
 * A repository's life with the real git client against `mega serve` (the Mega directory): a
 * first push lands whole or leaves nothing, HEAD follows the first pushed branch, and refs that
 * would be file and folder of each other are refused as git refuses them.
 */
const ZERO = '0'.repeat(40);

function pkt(text: string): Buffer {
  return Buffer.concat([Buffer.from((text.length + 4).toString(16).padStart(4, '0')), Buffer.from(text)]);
}

/** The server on its embedded SQLite, and on PostgreSQL (a scratch database) when it runs. */
const DATABASES = ['sqlite', ...((await serviceAvailable('postgres')) ? ['postgres'] : [])];

describe.each(DATABASES)('repository lifecycle on %s', (database) => {
  let fx: HttpFixture;
  let scratch: ScratchDatabase | undefined;
  let src: string;
  let n = 0;
  const fresh = () => join(fx.work, `w${++n}`);
  const push = (args: readonly string[]) => fx.git(2, ['-C', src, 'push', ...args], { check: false });

  beforeAll(async () => {
    scratch = database === 'postgres' ? await createScratchDatabase('postgres') : undefined;
    fx = await startHttpFixture(scratch ? { env: { MEGA_DATABASE_URL: scratch.url } } : {});
    src = join(fx.work, 'src');
    await makeFileHistory(src, 2);
  });
  afterAll(async () => {
    await fx?.stop();
    await scratch?.drop();
  });

  /** The path answers as absent to readers, then a normal first push works and clones. */
  async function expectFreeThenUsable(path: string): Promise<void> {
    const listed = await fx.anonymous(2, ['ls-remote', fx.url(path)], { check: false });
    expect(listed.code, 'the refused first push must leave no repository').not.toBe(0);
    const ok = await push([fx.url(path), 'main']);
    expect(ok.code, ok.stderr).toBe(0);
    const dir = fresh();
    await fx.anonymous(2, ['clone', '-q', fx.url(path), dir]);
    expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(
      await gitText(['-C', src, 'rev-parse', 'main^{tree}']),
    );
  }

  for (const area of ['import', 'projects']) {
    it(`/${area}: a tree pushed as a branch is refused and leaves the path free`, async () => {
      const path = `/${area}/tree-as-branch`;
      const refused = await push([fx.url(path), 'main^{tree}:refs/heads/main']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('[remote rejected]');
      await expectFreeThenUsable(path);
    });

    it(`/${area}: an atomic first push with one bad ref leaves nothing`, async () => {
      const path = `/${area}/atomic-refused`;
      const refused = await push(['--atomic', fx.url(path), 'main', 'main^{tree}:refs/heads/tree']);
      expect(refused.code).not.toBe(0);
      await expectFreeThenUsable(path);
    });

    it(`/${area}: a ref to a missing object is refused and leaves the path free`, async () => {
      const path = `/${area}/missing-object`;
      const empty = await git(['pack-objects', '--stdout'], { input: '', cwd: src });
      const response = await fetch(fx.url(`${path}/git-receive-pack`), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-git-receive-pack-request',
          Authorization: `Bearer ${fx.token}`,
        },
        body: Buffer.concat([
          pkt(`${ZERO} ${'3'.repeat(40)} refs/heads/main\0report-status\n`),
          Buffer.from('0000'),
          empty.stdout,
        ]),
      });
      const text = await response.text();
      expect(text).toContain(`ng refs/heads/main missing necessary objects (${'3'.repeat(40)})`);
      await expectFreeThenUsable(path);
    });
  }

  it('HEAD follows the first pushed branch: a master-only repository clones and checks out', async () => {
    const master = fresh();
    await makeFileHistory(master, 2);
    await git(['-C', master, 'branch', '-m', 'main', 'master']);
    for (const path of ['/import/master-only', '/projects/master-only']) {
      const pushed = await fx.git(2, ['-C', master, 'push', fx.url(path), 'master']);
      expect(pushed.code).toBe(0);
      for (const version of [0, 2]) {
        const symref = await fx.anonymous(version, ['ls-remote', '--symref', fx.url(path), 'HEAD']);
        const expected = path.startsWith('/import') ? 'refs/heads/master' : 'refs/heads/main';
        expect(symref.stdout.toString()).toContain(`ref: ${expected}\tHEAD`);
      }
      for (const version of [0, 2]) {
        const dir = fresh();
        const cloned = await fx.anonymous(version, ['clone', fx.url(path), dir]);
        expect(cloned.stderr.toString()).not.toContain('warning');
        expect(await gitText(['-C', dir, 'ls-files'])).toContain('dir/file1.txt');
        const shallow = fresh();
        await fx.anonymous(version, ['clone', '-q', '--depth', '1', fx.url(path), shallow]);
        expect(await gitText(['-C', shallow, 'rev-list', '--count', 'HEAD'])).toBe('1');
        expect(await gitText(['-C', shallow, 'ls-files'])).toContain('dir/file2.txt');
      }
    }
    // The imported repository's default branch is master: protected against rewinding and deletion.
    const rewind = await fx.git(
      2,
      ['-C', master, 'push', '--force', fx.url('/import/master-only'), 'master~1:master'],
      {
        check: false,
      },
    );
    expect(rewind.stderr).toContain('non-fast-forward update of a protected branch');
    const deletion = await fx.git(2, ['-C', master, 'push', fx.url('/import/master-only'), ':master'], {
      check: false,
    });
    expect(deletion.stderr).toContain('deleting the default branch is not allowed');
    // A push to the /projects view works (it opens a merge request).
    const view = fresh();
    await fx.git(2, ['clone', '-q', fx.url('/projects/master-only'), view]);
    await commitFile(view, 'new.txt', 'new\n', 'a change');
    const proposed = await fx.git(2, ['-C', view, 'push', 'origin', 'HEAD'], { check: false });
    expect(proposed.code, proposed.stderr.toString()).toBe(0);
  });

  it('HEAD prefers main, then master, among branches of one first push', async () => {
    await git(['-C', src, 'branch', '-f', 'master', 'main']);
    await git(['-C', src, 'branch', '-f', 'feature', 'main']);
    await push([fx.url('/import/several'), 'feature', 'master']);
    await push([fx.url('/import/several-main'), 'feature', 'master', 'main']);
    await git(['-C', src, 'tag', '-f', 'v1', 'main']);
    await push([fx.url('/import/tags-first'), 'refs/tags/v1', 'feature']);
    const headOf = async (path: string) =>
      (await fx.anonymous(2, ['ls-remote', '--symref', fx.url(path), 'HEAD'])).stdout
        .toString()
        .split('\t')[0];
    expect(await headOf('/import/several')).toBe('ref: refs/heads/master');
    expect(await headOf('/import/several-main')).toBe('ref: refs/heads/main');
    expect(await headOf('/import/tags-first')).toBe('ref: refs/heads/feature');
    // Once HEAD's branch exists, a later push does not move it.
    await push([fx.url('/import/several'), 'main']);
    expect(await headOf('/import/several')).toBe('ref: refs/heads/master');
  });

  it('refuses refs that are file and folder of each other, as git does', async () => {
    const url = fx.url('/import/dir-file');
    expect((await push([url, 'main', 'main:refs/heads/a/b'])).code).toBe(0);
    const file = await push([url, 'main:refs/heads/a']);
    expect(file.stderr).toContain(
      "! [remote rejected] main -> a (cannot lock ref 'refs/heads/a': 'refs/heads/a/b' exists)",
    );
    const both = await push([url, 'main:refs/heads/c', 'main:refs/heads/c/d']);
    expect(both.stderr).toMatch(/\* \[new branch\]\s+main -> c/);
    expect(both.stderr).toContain(
      "! [remote rejected] main -> c/d (cannot lock ref 'refs/heads/c/d': 'refs/heads/c' exists)",
    );
    const atomic = await push(['--atomic', url, 'main:refs/heads/e', 'main:refs/heads/e/f']);
    expect(atomic.stderr).toContain(
      "cannot lock ref 'refs/heads/e': cannot process 'refs/heads/e' and 'refs/heads/e/f' at the same time",
    );
    const tags = await push([url, 'main:refs/tags/x', 'main:refs/tags/x/y']);
    expect(tags.stderr).toContain("(cannot lock ref 'refs/tags/x/y': 'refs/tags/x' exists)");
    // Every clone still works.
    const dir = fresh();
    const cloned = await fx.anonymous(2, ['clone', '--mirror', url, dir]);
    expect(cloned.code).toBe(0);
    const refs = (await gitText(['-C', dir, 'for-each-ref', '--format=%(refname)'])).split('\n');
    expect(refs).toEqual(['refs/heads/a/b', 'refs/heads/c', 'refs/heads/main', 'refs/tags/x']);
  });
});
