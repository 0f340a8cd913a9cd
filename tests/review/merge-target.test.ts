import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import {
  api,
  clone,
  openDirectoryStorage,
  startDirectoryServer,
  type DirectoryServer,
} from '../monorepo/harness.js';

const MR_LINE = /remote: merge request !(\d+)/;

/**
 * `git push -o mr.target=release`: the merge request merges into that branch of the repository,
 * not its default branch, and takes only the proposed change (one parent), not the history of
 * the branch the proposal was made on.
 */
describe('merge requests into another branch (mr.target)', () => {
  let mega: DirectoryServer;
  beforeAll(async () => {
    mega = await startDirectoryServer();
    const source = join(mega.work, 'source');
    await makeRepo(source, [{ 'README.md': 'one\n', 'notes.txt': 'n\n' }]);
    await git(['branch', 'release'], { cwd: source });
    await commitFile(source, 'notes.txt', 'n\nmain only\n', 'main moves on');
    await git(['push', `${mega.server.url}/projects/app`, 'main', 'release'], {
      ...mega.as.alice,
      cwd: source,
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('merges into the named branch with one parent, leaving the default branch alone', async () => {
    const work = join(mega.work, 'work');
    expect((await clone(`${mega.server.url}/projects/app`, work)).code).toBe(0);
    await commitFile(work, 'README.md', 'one\nfix for the release\n', 'Fix the release');
    const pushed = await git(
      ['push', '-o', 'mr.target=release', `${mega.server.url}/projects/app`, 'HEAD:main'],
      {
        ...mega.as.alice,
        cwd: work,
      },
    );
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    expect(number, pushed.stderr).toBeDefined();
    const shown = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${number}`, mega.tokens.bob);
    expect(shown.body.targetBranch).toBe('release');

    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${number}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);

    // /projects/app shows only its default branch: read the repository's branches from storage.
    const storage = await openDirectoryStorage(mega.dataDir);
    try {
      const repository = await storage.repositories.find('/projects/app');
      const id = repository?.id ?? 0;
      const release = (await storage.refs.get(id, 'refs/heads/release')) ?? '';
      const commit = (await storage.objects.read(id, release))?.data.toString() ?? '';
      const parents = commit.split('\n').filter((line) => line.startsWith('parent '));
      // Only the proposal's change, on top of the release head: main's history stayed out.
      expect(parents).toHaveLength(1);
      expect(commit).toContain('Merge request !');
      const tree =
        (await storage.objects.read(id, /^tree (\S+)/.exec(commit)?.[1] ?? ''))?.data ?? Buffer.alloc(0);
      const blobOf = (name: string) => {
        const at = tree.indexOf(Buffer.from(` ${name}\0`));
        return tree.subarray(at + name.length + 2, at + name.length + 22).toString('hex');
      };
      const text = async (name: string) => (await storage.objects.read(id, blobOf(name)))?.data.toString();
      expect(await text('README.md')).toBe('one\nfix for the release\n');
      expect(await text('notes.txt')).toBe('n\n');
      // The default branch is where it was.
      const mainHead = await storage.refs.get(id, 'refs/heads/main');
      const main = (await storage.objects.read(id, mainHead ?? ''))?.data.toString() ?? '';
      expect(main).toContain('main moves on');
    } finally {
      await storage.close();
    }
  });
});
