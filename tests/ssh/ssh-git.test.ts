import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { startSshServer, type SshServer } from './ssh-harness.js';

const MR_LINE = /remote: merge request !(\d+): (http\S+)/;

/**
 * Git over SSH with the real OpenSSH client and the real git against `mega serve --ssh-port`:
 * clone, fetch and push in both protocol versions, shallow and partial clones, the scp-like
 * remote form, and a push under /projects that opens a merge request.
 */
describe('git over SSH', () => {
  let mega: SshServer;
  let alice: GitOptions;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);
  const as = (options: GitOptions, extra: GitOptions = {}): GitOptions => ({
    ...options,
    ...extra,
    env: { ...options.env, ...extra.env },
  });

  beforeAll(async () => {
    mega = await startSshServer();
    await mega.mega(['token', 'create', 'alice', '--admin']);
    const key = await mega.keygen('alice');
    await mega.mega(['user', 'key', 'add', 'alice', `${key}.pub`]);
    alice = mega.gitAs(key);
    await makeRepo(join(mega.work, 'lib'), [
      { 'README.md': '# lib\n', 'src/a.txt': 'a1\n' },
      { 'src/b.txt': 'b1\n' },
    ]);
    await git(['push', `${mega.sshUrl}/import/lib.git`, 'main'], as(alice, { cwd: join(mega.work, 'lib') }));
  }, 60_000);
  afterAll(async () => {
    await mega?.stop();
  });

  it('clones with protocol v2 and v0, and the scp-like form', async () => {
    for (const version of ['2', '0']) {
      const dir = fresh();
      await git(
        ['-c', `protocol.version=${version}`, 'clone', '-q', `${mega.sshUrl}/import/lib.git`, dir],
        alice,
      );
      expect(await readFile(join(dir, 'src/b.txt'), 'utf8')).toBe('b1\n');
      expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('2');
    }
    const scp = fresh();
    // git@host:path needs port 22 or ~/.ssh/config; the port comes with GIT_SSH_COMMAND here.
    await git(['clone', '-q', 'git@127.0.0.1:import/lib.git', scp], alice);
    expect(await readFile(join(scp, 'README.md'), 'utf8')).toBe('# lib\n');
  });

  it('fetches new commits with negotiation in both versions, and pushes', async () => {
    const v2 = fresh();
    const v0 = fresh();
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, v2], alice);
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, v0], alice);
    const writer = fresh();
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, writer], alice);
    for (let i = 0; i < 3; i++) await commitFile(writer, 'src/a.txt', `a${i + 2}\n`, `change ${i}`);
    const pushed = await git(['push', 'origin', 'main'], as(alice, { cwd: writer }));
    expect(pushed.stderr).toMatch(/main -> main/);
    const head = await gitText(['rev-parse', 'HEAD'], { cwd: writer });
    await git(['-c', 'protocol.version=2', 'fetch', '-q', 'origin'], as(alice, { cwd: v2 }));
    await git(['-c', 'protocol.version=0', 'fetch', '-q', 'origin'], as(alice, { cwd: v0 }));
    for (const dir of [v2, v0]) expect(await gitText(['rev-parse', 'origin/main'], { cwd: dir })).toBe(head);
    await git(['fsck', '--strict'], { cwd: v0 });
  });

  it('negotiates over several rounds when the client has history the server lacks (v0 and v2)', async () => {
    for (const version of ['0', '2']) {
      const dir = fresh();
      await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, dir], alice);
      // Local commits the server never saw: their haves go unacknowledged, round after round.
      for (let i = 0; i < 70; i++) await commitFile(dir, `local/${i}.txt`, `${i}\n`, `local ${i}`);
      await git(['checkout', '-q', '-b', 'mine'], { cwd: dir });
      await git(['update-ref', '-d', 'refs/remotes/origin/main'], { cwd: dir });
      const fetched = await git(
        ['-c', `protocol.version=${version}`, 'fetch', '-q', 'origin'],
        as(alice, { cwd: dir }),
      );
      expect(fetched.code, fetched.stderr).toBe(0);
      await git(['fsck', '--strict', '--connectivity-only'], { cwd: dir });
    }
  });

  it('serves shallow clones, deepens them, and partial clones fetching blobs on demand', async () => {
    for (const version of ['2', '0']) {
      const shallow = fresh();
      await git(
        [
          '-c',
          `protocol.version=${version}`,
          'clone',
          '-q',
          '--depth',
          '1',
          `${mega.sshUrl}/import/lib.git`,
          shallow,
        ],
        alice,
      );
      expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: shallow })).toBe('1');
      await git(
        ['-c', `protocol.version=${version}`, 'fetch', '-q', '--unshallow'],
        as(alice, { cwd: shallow }),
      );
      expect(Number(await gitText(['rev-list', '--count', 'HEAD'], { cwd: shallow }))).toBeGreaterThan(1);
    }
    const partial = fresh();
    await git(
      ['clone', '-q', '--filter=blob:none', '--no-checkout', `${mega.sshUrl}/import/lib.git`, partial],
      alice,
    );
    const missing = await gitText(['rev-list', '--objects', '--missing=print', 'HEAD'], { cwd: partial });
    expect(missing).toMatch(/^\?[0-9a-f]{40}/m);
    await git(['checkout', '-q', 'main'], as(alice, { cwd: partial }));
    expect(await readFile(join(partial, 'src/b.txt'), 'utf8')).toBe('b1\n');
  });

  it('a push under /projects opens a merge request (the same rules as HTTP)', async () => {
    const app = join(mega.work, 'app');
    await makeRepo(app, [{ 'app.txt': 'v1\n' }]);
    const created = await git(['push', `${mega.sshUrl}/projects/app.git`, 'main'], as(alice, { cwd: app }));
    expect(created.stderr).not.toMatch(/merge request/);
    await commitFile(app, 'app.txt', 'v2\n', 'change');
    const pushed = await git(['push', `${mega.sshUrl}/projects/app.git`, 'main'], as(alice, { cwd: app }));
    const opened = MR_LINE.exec(pushed.stderr);
    expect(opened, pushed.stderr).not.toBeNull();
    expect(opened?.[2]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/merge-requests\/\d+$/);
    // The branch did not move: the change waits in the merge request.
    const view = fresh();
    await git(['clone', '-q', `${mega.sshUrl}/projects/app.git`, view], alice);
    expect(await readFile(join(view, 'app.txt'), 'utf8')).toBe('v1\n');
  });

  it('tells git why a path is missing, in git’s own words', async () => {
    const result = await git(
      ['clone', '-q', `${mega.sshUrl}/import/nothing.git`, fresh()],
      as(alice, { check: false }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/remote error: \/import\/nothing: not found/);
  });
});
