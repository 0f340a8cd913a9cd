import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git as gitCli, gitText } from '../support/git-cli.js';
import { createToken, grantRole, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { runMega } from '../support/mega-process.js';
import { makeFileHistory } from '../support/git-fixtures.js';
import { DEBIAN_PYTHON } from '../support/dulwich.js';

/**
 * Clients other than C git clone what `mega serve` hosts: isomorphic-git (JavaScript, protocol
 * v1) and dulwich (Python, Debian's package). Both need HEAD advertised as a symref to a branch
 * that exists, so they are run on `master`-only projects pushed to `/import` and `/projects`.
 */
const run = promisify(execFile);
/** `python3 -c DULWICH_CLONE <url> <dir> [depth]`. */
const DULWICH_CLONE = [
  'import sys',
  'from dulwich import porcelain',
  'depth = int(sys.argv[3]) if len(sys.argv) > 3 else None',
  'porcelain.clone(sys.argv[1], sys.argv[2], depth=depth, errstream=sys.stderr.buffer)',
].join('\n');
const DULWICH_CLONE_WITH_TOKEN = [
  'import os, sys',
  'from dulwich import porcelain',
  "porcelain.clone(sys.argv[1], sys.argv[2], username='token', password=os.environ['MEGA_TOKEN'], errstream=sys.stderr.buffer)",
].join('\n');

/** `python3 -c DULWICH_LS_REMOTE <url>`: one `name id` line per advertised ref, peeled tags included. */
const DULWICH_LS_REMOTE = [
  'import sys',
  'from dulwich.client import get_transport_and_path',
  'client, path = get_transport_and_path(sys.argv[1])',
  'result = client.get_refs(path)',
  'refs = getattr(result, "refs", result)',
  'for name, sha in refs.items(): print(name.decode(), sha.decode())',
].join('\n');

describe('independent git clients', () => {
  let fx: HttpFixture;
  let master: string;
  let n = 0;
  const fresh = () => join(fx.work, `c${++n}`);
  const paths = ['/import/master-only', '/projects/master-only'];

  beforeAll(async () => {
    fx = await startHttpFixture();
    master = join(fx.work, 'master');
    await makeFileHistory(master, 3);
    await gitCli(['-C', master, 'branch', '-m', 'main', 'master']);
    for (const path of paths) await fx.git(2, ['-C', master, 'push', '-q', fx.url(path), 'master']);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const expectedTree = () => gitText(['-C', master, 'rev-parse', 'master^{tree}']);

  for (const path of paths) {
    it(`C git clones ${path} and checks out its default branch without a warning`, async () => {
      const dir = fresh();
      const cloned = await fx.anonymous(0, ['clone', fx.url(path), dir]);
      expect(cloned.stderr.toString()).not.toMatch(/warning|empty repository/);
      expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
      const shallow = fresh();
      const depth = await fx.anonymous(2, ['clone', '--depth', '1', fx.url(path), shallow]);
      expect(depth.stderr.toString()).not.toContain('warning');
      expect(await readFile(join(shallow, 'dir/file3.txt'), 'utf8')).toBe('content 3\n'.repeat(3));
    });

    it(`isomorphic-git clones ${path} and checks out files`, async () => {
      const dir = fresh();
      await git.clone({ fs, http, dir, url: fx.url(path) });
      const branch = await git.currentBranch({ fs, dir });
      expect(branch).toBe(path.startsWith('/import') ? 'master' : 'main');
      expect(await readFile(join(dir, 'dir/file1.txt'), 'utf8')).toBe('content 1\n');
      expect(await readFile(join(dir, 'dir/file3.txt'), 'utf8')).toBe('content 3\n'.repeat(3));
      const head = await git.resolveRef({ fs, dir, ref: 'HEAD' });
      const { commit } = await git.readCommit({ fs, dir, oid: head });
      expect(commit.tree).toBe(await expectedTree());
    });

    it(`dulwich clones ${path} and checks out files`, async () => {
      const dir = fresh();
      await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url(path), dir]);
      expect(await readFile(join(dir, 'dir/file2.txt'), 'utf8')).toBe('content 2\n'.repeat(2));
      expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
      expect(await gitText(['-C', dir, 'status', '--porcelain'])).toBe('');
    });
  }

  // Repositories under `/import` keep full clones' packs in the clone cache (monorepo paths do not).
  it('dulwich clones /import/master-only again, from the clone cache', async () => {
    const path = '/import/master-only';
    await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url(path), fresh()]);
    const dir = fresh();
    const again = await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url(path), dir]);
    expect(again.stderr).toContain('reused from the clone cache');
    expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
    await gitCli(['-C', dir, 'fsck', '--strict']);
  });

  // Tags' peeled targets are remembered per process: the second listing must say what the first did.
  it('dulwich lists an annotated tag with its peeled commit and a lightweight tag without, twice alike', async () => {
    const path = '/import/tagged';
    await gitCli(['-C', master, 'tag', '-a', '-m', 'release', 'v1', 'master']);
    await gitCli(['-C', master, 'tag', 'light', 'master']);
    await fx.git(2, ['-C', master, 'push', '-q', fx.url(path), 'master', 'v1', 'light']);
    const listRefs = async () =>
      (await run(DEBIAN_PYTHON, ['-c', DULWICH_LS_REMOTE, fx.url(path)])).stdout.trim().split('\n').sort();
    const commit = await gitText(['-C', master, 'rev-parse', 'master']);
    const tag = await gitText(['-C', master, 'rev-parse', 'v1']);
    const first = await listRefs();
    expect(first).toEqual(
      [
        `HEAD ${commit}`,
        `refs/heads/master ${commit}`,
        `refs/tags/light ${commit}`,
        `refs/tags/v1 ${tag}`,
        `refs/tags/v1^{} ${commit}`,
      ].sort(),
    );
    expect(await listRefs()).toEqual(first);
  });

  // `/import` keeps the three pushed commits; under `/projects` a first push lands as one commit,
  // which leaves nothing to cut.
  describe('shallow clones of /import/master-only', () => {
    const path = '/import/master-only';
    it('isomorphic-git clones at depth 1', async () => {
      const dir = fresh();
      await git.clone({ fs, http, dir, url: fx.url(path), depth: 1, singleBranch: true });
      const head = await git.resolveRef({ fs, dir, ref: 'HEAD' });
      expect(await readFile(join(dir, '.git/shallow'), 'utf8')).toBe(`${head}\n`);
      expect(await readFile(join(dir, 'dir/file3.txt'), 'utf8')).toBe('content 3\n'.repeat(3));
      const log = await git.log({ fs, dir });
      expect(log.map((entry) => entry.oid)).toEqual([head]);
    });

    it('dulwich clones at depth 1', async () => {
      const dir = fresh();
      await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url(path), dir, '1']);
      const head = await gitText(['-C', dir, 'rev-parse', 'HEAD']);
      expect(await readFile(join(dir, '.git/shallow'), 'utf8')).toBe(`${head}\n`);
      expect(await gitText(['-C', dir, 'rev-list', '--count', 'HEAD'])).toBe('1');
      expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
      await gitCli(['-C', dir, 'fsck', '--no-dangling']);
    });
  });

  it('isomorphic-git creates a repository by its first push; HEAD follows its only branch', async () => {
    const result = await git.push({
      fs,
      http,
      dir: master,
      url: fx.url('/import/pushed-by-isomorphic-git'),
      ref: 'master',
      headers: { Authorization: `Bearer ${fx.token}` },
    });
    expect(result.ok).toBe(true);
    const symref = await fx.anonymous(2, [
      'ls-remote',
      '--symref',
      fx.url('/import/pushed-by-isomorphic-git'),
    ]);
    expect(symref.stdout.toString()).toContain('ref: refs/heads/master\tHEAD');
    const dir = fresh();
    await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url('/import/pushed-by-isomorphic-git'), dir]);
    expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
  });

  it('a private repository: isomorphic-git and dulwich get 401 anonymously, 404 without a grant, the files with one', async () => {
    const path = '/import/private-master';
    const dataDir = join(fx.work, 'data');
    await fx.git(2, ['-C', master, 'push', '-q', fx.url(path), 'master']);
    const hidden = await runMega(['access', 'visibility', path, 'private', '--data', dataDir]);
    expect(hidden.code).toBe(0);
    const reader = await createToken(dataDir, 'rita');
    await grantRole(dataDir, 'rita', path, 'read');
    const stranger = await createToken(dataDir, 'sven');
    const statusOf = async (token?: string) => {
      try {
        await git.clone({
          fs,
          http,
          dir: fresh(),
          url: fx.url(path),
          ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
        });
        return 200;
      } catch (error) {
        return (error as { data?: { statusCode?: number } }).data?.statusCode;
      }
    };
    expect(await statusOf()).toBe(401);
    expect(await statusOf(stranger)).toBe(404);
    expect(await statusOf(reader)).toBe(200);

    const anonymous = await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE, fx.url(path), fresh()]).then(
      () => 'cloned',
      (error: { stderr?: string }) => String(error.stderr),
    );
    expect(anonymous).toMatch(/HTTPUnauthorized|401/);
    // The token reaches dulwich through the environment, never a URL or an argument.
    const dir = fresh();
    await run(DEBIAN_PYTHON, ['-c', DULWICH_CLONE_WITH_TOKEN, fx.url(path), dir], {
      env: { ...process.env, MEGA_TOKEN: reader },
    });
    expect(await gitText(['-C', dir, 'rev-parse', 'HEAD^{tree}'])).toBe(await expectedTree());
  });
});
