import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import {
  api,
  clone,
  fsckStrict,
  openDirectoryStorage,
  plainUser,
  startDirectoryServer,
  type DirectoryServer,
} from './harness.js';

const MR_LINE = /remote: merge request !(\d+): /;

/**
 * Issue 22 "The directory's own files": READMEs of directories without a b-link (`projects/`,
 * `import/`, nested directories) change through the root, or through the directory's clone as a
 * merge request on the directory repository `/`; everything else outside repositories is refused.
 */
describe("the directory's own files", () => {
  let mega: DirectoryServer;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);
  const url = (path: string) => `${mega.server.url}${path}`;
  const pushAs = (dir: string, path: string, who: 'alice' | 'bob' = 'alice') =>
    git(['push', url(path), 'main'], { ...mega.as[who], cwd: dir, check: false });

  beforeAll(async () => {
    mega = await startDirectoryServer();
    await makeRepo(join(mega.work, 'foo'), [{ 'a.txt': 'a1\n' }]);
    await git(['push', url('/projects/foo'), 'main'], { ...mega.as.alice, cwd: join(mega.work, 'foo') });
    await makeRepo(join(mega.work, 'svc'), [{ 's.txt': 's1\n' }]);
    await git(['push', url('/projects/team/svc'), 'main'], { ...mega.as.alice, cwd: join(mega.work, 'svc') });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('through the root: READMEs of projects/ and import/ change directly; new directories, b-links and other files are refused', async () => {
    const root = fresh();
    await git(['clone', '-q', url('/'), root], mega.as.alice);
    // One commit: the server's directory commits are newer than the tests' fixed commit date, and
    // the push guard's ancestry walk prunes by committer time (src/repo/ancestry.ts).
    await writeFile(join(root, 'import/README.md'), '# Import\n\nmirrors\n');
    await commitFile(root, 'projects/README.md', '# Projects\n\nours\n', 'projects and import readmes');
    const ok = await pushAs(root, '/');
    expect(ok.code, ok.stderr).toBe(0);
    const projects = fresh();
    await clone(url('/projects'), projects);
    expect(await readFile(join(projects, 'README.md'), 'utf8')).toBe('# Projects\n\nours\n');

    const refusals: Array<[() => Promise<unknown>, RegExp]> = [
      [
        () => commitFile(root, 'projects/newdir/README.md', 'x\n', 'new dir'),
        /projects\/newdir\/README\.md: a README can only change in an existing directory/,
      ],
      [() => commitFile(root, 'projects/notes.txt', 'x\n', 'notes'), /projects\/notes\.txt is not a README/],
      [
        () =>
          commitFile(
            root,
            'projects/README',
            'version https://mega.com/directory/spec/v1\npath /projects/foo\n',
            'forged',
          ),
        /projects\/README is a b-link/,
      ],
      [
        async () => {
          await symlink('a.txt', join(root, 'projects/readme.txt'));
          await git(['add', '-A'], { cwd: root });
          await git(['commit', '-q', '-m', 'symlink'], { cwd: root });
        },
        /projects\/readme\.txt is not a README/,
      ],
    ];
    for (const [change, reason] of refusals) {
      await change();
      const refused = await pushAs(root, '/');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(reason);
      await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: root });
    }
  });

  it('through /projects: a README change is a merge request on /, merged with the repositories in one go', async () => {
    const projects = fresh();
    await clone(url('/projects'), projects);
    await commitFile(
      projects,
      'README.md',
      '# Projects\n\nchanged through the directory clone\n',
      'readme via clone',
    );
    await commitFile(projects, 'foo/a.txt', 'a2\n', 'and code');
    const pushed = await pushAs(projects, '/projects');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/opened for \/, \/projects\/foo/);
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    const shown = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${number}`);
    expect((shown.body.changes as Array<{ repoPath: string }>).map((change) => change.repoPath)).toEqual([
      '/',
      '/projects/foo',
    ]);
    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${number}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const root = fresh();
    await clone(url('/'), root);
    expect(await readFile(join(root, 'projects/README.md'), 'utf8')).toBe(
      '# Projects\n\nchanged through the directory clone\n',
    );
    await fsckStrict(root);
    // The merged directory commit is indexed (dir_commit…) like one a root push makes.
    const head = (await git(['rev-parse', 'HEAD'], { cwd: root })).stdout.toString().trim();
    const storage = await openDirectoryStorage(mega.dataDir);
    try {
      expect(await storage.monorepo.directory.hasCommit(head)).toBe(true);
    } finally {
      await storage.close();
    }
    const pulled = await git(['pull', '--ff-only', url('/projects'), 'main'], {
      cwd: projects,
      check: false,
    });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await readFile(join(projects, 'foo/a.txt'), 'utf8')).toBe('a2\n');
  });

  it('through /projects/team (a directory without a b-link): its README is projects/team/README.md', async () => {
    const team = fresh();
    await clone(url('/projects/team'), team);
    await commitFile(team, 'README.md', '# Team\n', 'team readme');
    const pushed = await pushAs(team, '/projects/team');
    expect(pushed.stderr).toMatch(/opened for \//);
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${number}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const root = fresh();
    await clone(url('/'), root);
    expect(await readFile(join(root, 'projects/team/README.md'), 'utf8')).toBe('# Team\n');
    const pulled = await git(['pull', '--ff-only', url('/projects/team'), 'main'], {
      cwd: team,
      check: false,
    });
    expect(pulled.code, pulled.stderr).toBe(0);

    // Other files outside repositories, new directories and b-links stay refused.
    for (const [path, reason] of [
      ['notes.txt', /notes\.txt is not inside a repository/],
      ['sub/README.md', /projects\/team\/sub\/README\.md: a README can only change in an existing directory/],
      ['svc', /cannot remove or replace repository \/projects\/team\/svc/],
    ] as const) {
      const dir = fresh();
      await clone(url('/projects/team'), dir);
      if (path === 'svc') await git(['rm', '-rq', 'svc'], { cwd: dir });
      await commitFile(dir, path, 'x\n', `change ${path}`);
      const refused = await pushAs(dir, '/projects/team');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(reason);
    }
  });

  it('a README of /projects needs write on /projects: write on one repository is not enough', async () => {
    const erin = await plainUser(mega, 'erin');
    const storage = await openDirectoryStorage(mega.dataDir);
    try {
      await storage.access.setGrant('/projects/foo', 'user', erin.id, 'write');
    } finally {
      await storage.close();
    }
    const dir = fresh();
    expect((await git(['clone', '-q', url('/projects'), dir], erin.as)).code).toBe(0);
    await commitFile(dir, 'README.md', '# mine now\n', 'erin edits the directory readme');
    const refused = await git(['push', url('/projects'), 'main'], { ...erin.as, cwd: dir, check: false });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/changing \/projects\/README\.md needs the write role on \/projects/);
    // Her change of the repository she may write still opens a merge request.
    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: dir });
    await commitFile(dir, 'foo/a.txt', 'erin\n', 'erin edits foo');
    const pushed = await git(['push', url('/projects'), 'main'], { ...erin.as, cwd: dir, check: false });
    expect(pushed.stderr).toMatch(/opened for \/projects\/foo/);
  });
});
