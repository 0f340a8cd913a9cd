import { readFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { clone, filesOf, fsckStrict, startDirectoryServer, type DirectoryServer } from './harness.js';
import { makeRepo } from '../support/git-fixtures.js';

const BLINK_FOO = 'version https://mega.com/directory/spec/v1\npath /projects/foo\n';

/** SPEC §6 clone-rule table, row by row, with the real git client against `mega serve`. */
describe('Mega directory clone rules', () => {
  let mega: DirectoryServer;
  let fooHead: string;

  beforeAll(async () => {
    mega = await startDirectoryServer();
    fooHead = await makeRepo(join(mega.work, 'foo'), [
      { 'README.md': '# foo\n', 'src/main.c': 'int main(void) { return 0; }\n' },
      { 'src/lib/util.c': 'int util;\n', 'docs/guide.md': 'guide\n' },
    ]);
    // A push to a new path creates the repository (no merge request) and links it.
    const pushed = await git(['push', `${mega.server.url}/projects/foo.git`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'foo'),
    });
    expect(pushed.stderr).not.toMatch(/merge request/);
    await makeRepo(join(mega.work, 'bar'), [{ 'bar.txt': 'bar\n' }]);
    await git(['push', `${mega.server.url}/projects/team/bar`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'bar'),
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('/ : the directory with its history, b-links not expanded', async () => {
    const dir = join(mega.work, 'root');
    expect((await clone(`${mega.server.url}/`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual([
      'README.md',
      'import/README.md',
      'projects/README.md',
      'projects/foo',
      'projects/team/bar',
    ]);
    expect(await readFile(join(dir, 'projects/foo'), 'utf8')).toBe(BLINK_FOO);
    const log = (await gitText(['log', '--format=%s'], { cwd: dir })).split('\n');
    expect(log).toEqual(['Add /projects/team/bar', 'Add /projects/foo', 'Initialise the Mega directory']);
  });

  it('/projects : one commit with every repository expanded', async () => {
    const dir = join(mega.work, 'projects');
    expect((await clone(`${mega.server.url}/projects`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual([
      'README.md',
      'foo/README.md',
      'foo/docs/guide.md',
      'foo/src/lib/util.c',
      'foo/src/main.c',
      'team/bar/bar.txt',
    ]);
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('1');
    // The expanded tree embeds each repository's own tree id (recomputed above it only).
    const fooTree = await gitText(['rev-parse', `${fooHead}^{tree}`], { cwd: join(mega.work, 'foo') });
    expect(await gitText(['rev-parse', 'HEAD:foo'], { cwd: dir })).toBe(fooTree);
  });

  it('/projects/<repo> : the head commit without parents', async () => {
    const dir = join(mega.work, 'foo-view');
    expect((await clone(`${mega.server.url}/projects/foo.git`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('1');
    expect(await gitText(['log', '-1', '--format=%an|%s|%T'], { cwd: dir })).toBe(
      await gitText(['log', '-1', '--format=%an|%s|%T', fooHead], { cwd: join(mega.work, 'foo') }),
    );
  });

  it('views serve the same commit over protocol v0 and to shallow clients', async () => {
    const v2 = await gitText(['rev-parse', 'HEAD'], { cwd: join(mega.work, 'foo-view') });
    const dir = join(mega.work, 'foo-v0');
    await git(['-c', 'protocol.version=0', 'clone', '-q', `${mega.server.url}/projects/foo`, dir]);
    await fsckStrict(dir);
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: dir })).toBe(v2);
    const shallow = join(mega.work, 'projects-shallow');
    await git(['clone', '-q', '--depth', '1', `${mega.server.url}/projects`, shallow]);
    await fsckStrict(shallow);
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: shallow })).toBe(
      await gitText(['rev-parse', 'HEAD'], { cwd: join(mega.work, 'projects') }),
    );
  });

  it('/projects/<repo>/<dir> : one commit rooted at the subtree', async () => {
    const dir = join(mega.work, 'foo-src');
    expect((await clone(`${mega.server.url}/projects/foo/src`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual(['lib/util.c', 'main.c']);
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('1');
  });

  it('nested directories under /projects are expanded like /projects', async () => {
    const dir = join(mega.work, 'team');
    expect((await clone(`${mega.server.url}/projects/team`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual(['bar/bar.txt']);
  });

  it('/import : refused', async () => {
    const result = await clone(`${mega.server.url}/import`, join(mega.work, 'import'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/remote: \/import: cannot merge several repositories into one/);
  });

  it('/import/<repo> : full history, branches and tags, pushed directly', async () => {
    const source = join(mega.work, 'lib');
    await makeRepo(source, [{ 'a.txt': '1\n' }, { 'a.txt': '2\n' }, { 'docs/x.md': 'x\n' }]);
    await git(['tag', '-a', 'v1', '-m', 'v1'], { cwd: source });
    await git(['branch', 'stable', 'HEAD~1'], { cwd: source });
    const pushed = await git(['push', `${mega.server.url}/import/lib`, '--all'], {
      ...mega.as.alice,
      cwd: source,
    });
    expect(pushed.stderr).not.toMatch(/merge request/);
    await git(['push', `${mega.server.url}/import/lib`, '--tags'], { ...mega.as.alice, cwd: source });
    // A second push updates the branch directly.
    await makeRepo(source, [{ 'a.txt': '3\n' }]);
    await git(['push', `${mega.server.url}/import/lib`, 'main'], { ...mega.as.alice, cwd: source });
    const dir = join(mega.work, 'lib-clone');
    expect((await clone(`${mega.server.url}/import/lib`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('4');
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: dir })).toBe(
      await gitText(['rev-parse', 'HEAD'], { cwd: source }),
    );
    expect(await gitText(['tag'], { cwd: dir })).toBe('v1');
    expect(await gitText(['branch', '-r'], { cwd: dir })).toMatch(/origin\/stable/);
    // The first push created it as an imported repository, not a hosted one.
    const db = new Database(join(mega.dataDir, 'mega.db'), { readonly: true });
    try {
      expect(db.prepare('select kind from repositories where path = ?').get('/import/lib')).toEqual({
        kind: 'import',
      });
    } finally {
      db.close();
    }
  });

  it('/import/<repo>/<dir> : refused', async () => {
    const result = await clone(`${mega.server.url}/import/lib/docs`, join(mega.work, 'lib-docs'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /remote: \/import\/lib\/docs: subdirectory clone of an imported repository is not allowed/,
    );
  });

  it.each(['/nowhere', '/projects/nope', '/projects/foo/no-such-dir', '/import/nope', '/projects/README.md'])(
    'unknown path %s : 404',
    async (path) => {
      const result = await clone(
        `${mega.server.url}${path}`,
        join(mega.work, `x${path.replace(/\W/g, '-')}`),
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/not found|404/);
    },
  );

  it('hostile paths are refused', async () => {
    for (const path of ['/projects/%2e%2e/etc', '/projects/foo/.git/config', '/projects//foo']) {
      const result = await clone(`${mega.server.url}${path}`, join(mega.work, 'hostile'));
      expect(result.code).not.toBe(0);
    }
  });
});

describe('MEGA_CLONE_LIMIT', () => {
  let mega: DirectoryServer;
  beforeAll(async () => {
    mega = await startDirectoryServer({ env: { MEGA_CLONE_LIMIT: '2000' } });
    await makeRepo(join(mega.work, 'big'), [{ 'blob.txt': 'x'.repeat(5000) }]);
    await git(['push', `${mega.server.url}/projects/big`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'big'),
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('refuses a directory clone above the limit, naming size, limit and what to do', async () => {
    const response = await fetch(`${mega.server.url}/projects/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(413);
    const text = await response.text();
    expect(text).toMatch(/^\/projects expands to .*bytes/);
    expect(text).toMatch(/clone limit of 2\.0 KiB \(2000 bytes\)/);
    expect(text).toMatch(/clone a narrower path/);
    const result = await clone(`${mega.server.url}/projects`, join(mega.work, 'p'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /remote: \/projects expands to .* more than the clone limit .* clone a narrower path/,
    );
  });

  it('still serves a single repository', async () => {
    const dir = join(mega.work, 'big-view');
    expect((await clone(`${mega.server.url}/projects/big`, dir)).code).toBe(0);
    await fsckStrict(dir);
  });
});
