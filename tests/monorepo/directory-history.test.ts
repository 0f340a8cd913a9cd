import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { clone, filesOf, fsckStrict, startDirectoryServer, type DirectoryServer } from './harness.js';
import { makeRepo } from '../support/git-fixtures.js';

async function headOf(url: string, dir: string): Promise<string> {
  const result = await clone(url, dir);
  if (result.code !== 0) throw new Error(result.stderr);
  await fsckStrict(dir);
  return gitText(['rev-parse', 'HEAD'], { cwd: dir });
}

describe('Mega directory history, b-link removal and determinism', () => {
  let mega: DirectoryServer;
  let second: MegaServer;
  let n = 0;
  const fresh = () => join(mega.work, `d${++n}`);

  beforeAll(async () => {
    mega = await startDirectoryServer();
    // A second server process on the same data directory and database.
    second = await startMegaServer({ dataDir: mega.dataDir, args: ['--no-worker'] });
    for (const name of ['keep', 'gone']) {
      await makeRepo(join(mega.work, name), [{ [`${name}.txt`]: `${name}\n` }]);
      await git(['push', `${mega.server.url}/projects/${name}`, 'main'], {
        ...mega.as.alice,
        cwd: join(mega.work, name),
      });
    }
  });
  afterAll(async () => {
    await second?.stop();
    await mega?.stop();
  });

  it('two server processes on one database serve the same synthetic ids, computed concurrently', async () => {
    const paths = ['/projects', '/projects/keep', '/projects/gone'];
    const first = await Promise.all(paths.map((path) => headOf(`${mega.server.url}${path}`, fresh())));
    const other = await Promise.all(paths.map((path) => headOf(`${second.url}${path}`, fresh())));
    expect(other).toEqual(first);
    // Root: the same directory commit from both.
    expect(await headOf(`${second.url}/`, fresh())).toBe(await headOf(`${mega.server.url}/`, fresh()));
  });

  it('a directory clone fast-forwards with git pull after a repository changes (from either server)', async () => {
    const dir = fresh();
    const before = await headOf(`${mega.server.url}/projects`, dir);
    const change = fresh();
    await clone(`${mega.server.url}/projects/keep`, change);
    await git(['commit', '-q', '--allow-empty-message', '-m', 'keep more'], { cwd: change, check: false });
    await makeRepo(change, [{ 'keep.txt': 'keep 2\n' }]);
    const pushed = await git(['push', `${mega.server.url}/projects/keep`, 'main'], {
      ...mega.as.alice,
      cwd: change,
    });
    const number = /merge request !(\d+)/.exec(pushed.stderr)?.[1] ?? '';
    const merged = await runMega(['mr', 'merge', number, '--as', 'bob', '--data', mega.dataDir]);
    expect(merged.code, merged.stderr).toBe(0);
    const pull = await git(['pull', '--ff-only', `${second.url}/projects`, 'main'], {
      cwd: dir,
      check: false,
    });
    expect(pull.code, pull.stderr).toBe(0);
    await fsckStrict(dir);
    expect(await gitText(['rev-parse', 'HEAD~1'], { cwd: dir })).toBe(before);
    expect(await gitText(['show', 'HEAD:keep/keep.txt'], { cwd: dir })).toBe('keep 2');
    expect(await headOf(`${mega.server.url}/projects`, fresh())).toBe(
      await gitText(['rev-parse', 'HEAD'], { cwd: dir }),
    );
  });

  it('a removed b-link makes the repository unreachable through the directory; a rollback brings it back', async () => {
    const root = fresh();
    await clone(`${mega.server.url}/`, root);
    const beforeUnlink = await gitText(['rev-parse', 'HEAD'], { cwd: root });
    const unlinked = await runMega([
      'directory',
      'unlink',
      '/projects/gone',
      '--as',
      'ops',
      '--data',
      mega.dataDir,
    ]);
    expect(unlinked.code, unlinked.stderr).toBe(0);

    const gone = await clone(`${mega.server.url}/projects/gone`, fresh());
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not found/);
    const projects = fresh();
    await clone(`${second.url}/projects`, projects);
    expect(await filesOf(projects)).toEqual(['README.md', 'keep/keep.txt']);
    await git(['pull', '--ff-only'], { cwd: root });
    expect(await filesOf(root)).not.toContain('projects/gone');
    expect(await gitText(['log', '-1', '--format=%an %s'], { cwd: root })).toBe('ops Remove /projects/gone');

    // The stored repository is kept, but a push cannot silently re-link it.
    const again = join(mega.work, 'gone');
    await makeRepo(again, [{ 'gone.txt': 'gone 2\n' }]);
    const refused = await git(['push', `${mega.server.url}/projects/gone`, 'main'], {
      ...mega.as.alice,
      cwd: again,
      check: false,
    });
    expect(refused.stderr).toMatch(/exists but is not linked into the Mega directory/);

    const rolledBack = await runMega(['directory', 'rollback', beforeUnlink, '--data', mega.dataDir]);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    await git(['pull', '--ff-only'], { cwd: root });
    expect(await filesOf(root)).toContain('projects/gone');
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: root })).toBe('5');
    const back = fresh();
    expect((await clone(`${mega.server.url}/projects/gone`, back)).code).toBe(0);
    expect(await filesOf(back)).toEqual(['gone.txt']);
  });

  it('mega init is idempotent and keeps the history', async () => {
    const result = await runMega(['init', '--data', mega.dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/already exists/);
    const root = fresh();
    await clone(`${mega.server.url}/`, root);
    expect(await gitText(['log', '--reverse', '--format=%s'], { cwd: root })).toMatch(
      /^Initialise the Mega directory\nAdd \/projects\/keep/,
    );
  });
});
