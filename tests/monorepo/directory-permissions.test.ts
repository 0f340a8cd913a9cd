import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { startMegaServer } from '../support/mega-process.js';
import {
  clone,
  filesOf,
  fsckStrict,
  openDirectoryStorage,
  plainUser,
  startDirectoryServer,
  type DirectoryServer,
} from './harness.js';

const ANONYMOUS: GitOptions = {};

/** The commit a path's only branch shows to a caller. */
async function headOf(url: string, as: GitOptions): Promise<string> {
  const out = await gitText(['ls-remote', url, 'refs/heads/main'], as);
  return out.split('\t')[0] ?? '';
}

/** Every object id a clone holds. */
async function objectsOf(dir: string): Promise<string> {
  return gitText(['rev-list', '--objects', '--all'], { cwd: dir });
}

/**
 * Directory clones leave out what the cloner may not read (issue 16): one chain of synthetic
 * commits per hidden set, the unfiltered chain unchanged, `/` filtered too, pushes through a
 * filtered view unable to touch hidden repositories.
 */
describe('directory views and permissions', () => {
  let mega: DirectoryServer;
  let storage: Storage;
  let dave: Awaited<ReturnType<typeof plainUser>>;
  let carol: Awaited<ReturnType<typeof plainUser>>;
  let pubHead: string;
  let secretHead: string;
  let vaultTree: string;
  /** /projects before anything was private: today's commit. */
  let before: string;

  beforeAll(async () => {
    mega = await startDirectoryServer();
    const push = async (name: string, files: Record<string, string>) => {
      const head = await makeRepo(join(mega.work, name), [files]);
      await git(['push', `${mega.server.url}/projects/${name}`, 'main'], {
        ...mega.as.alice,
        cwd: join(mega.work, name),
      });
      return head;
    };
    pubHead = await push('pub', { 'pub.txt': 'public\n' });
    secretHead = await push('secret', { 'plans.txt': 'secret plans\n' });
    await push('vault', { 'gold.txt': 'gold\n' });
    vaultTree = await gitText(['rev-parse', 'HEAD^{tree}'], { cwd: join(mega.work, 'vault') });
    before = await headOf(`${mega.server.url}/projects`, ANONYMOUS);
    storage = await openDirectoryStorage(mega.dataDir);
    dave = await plainUser(mega, 'dave');
    carol = await plainUser(mega, 'carol');
    for (const path of ['/projects/secret', '/projects/vault']) {
      await storage.access.setPathSetting(path, { visibility: 'private' });
      await storage.access.setGrant(path, 'user', carol.id, 'read');
    }
  });
  afterAll(async () => {
    await storage?.close();
    await mega?.stop();
  });

  it('/projects as anonymous: private repositories are not in the tree, the message or the objects', async () => {
    const dir = join(mega.work, 'anonymous-projects');
    expect((await clone(`${mega.server.url}/projects`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual(['README.md', 'pub/pub.txt']);
    const message = await gitText(['log', '--format=%B'], { cwd: dir });
    expect(message).toBe(`Mega directory /projects\n\n/projects/pub ${pubHead}`);
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('1');
    const objects = await objectsOf(dir);
    expect(objects).not.toContain(secretHead);
    expect(objects).not.toContain(vaultTree);
    expect(await headOf(`${mega.server.url}/projects`, ANONYMOUS)).not.toBe(before);
  });

  it('the same permission set gets the same commit; a reader of everything gets the unchanged one', async () => {
    const url = `${mega.server.url}/projects`;
    const anonymous = await headOf(url, ANONYMOUS);
    expect(await headOf(url, ANONYMOUS)).toBe(anonymous);
    // dave is signed in without grants: he reads what anonymous readers read.
    expect(await headOf(url, dave.as)).toBe(anonymous);
    expect(await headOf(url, carol.as)).toBe(before);
    expect(await headOf(url, mega.as.alice)).toBe(before);
    const dir = join(mega.work, 'carol-projects');
    expect((await git(['clone', '-q', url, dir], carol.as)).code).toBe(0);
    expect(await filesOf(dir)).toEqual(['README.md', 'pub/pub.txt', 'secret/plans.txt', 'vault/gold.txt']);
  });

  it('/ as a reader of some repositories: a synthetic commit without the others, pushes refused', async () => {
    // A reader of everything gets the stored directory with its history (its clone pack may be
    // cached: the filtered view below must not reuse it).
    const full = join(mega.work, 'carol-root');
    expect((await git(['clone', '-q', `${mega.server.url}/`, full], carol.as)).code).toBe(0);
    expect(await filesOf(full)).toContain('projects/secret');
    expect(await gitText(['rev-list', '--count', 'HEAD'], { cwd: full })).toBe('4');
    const secretLink = await gitText(['rev-parse', 'HEAD:projects/secret'], { cwd: full });

    const dir = join(mega.work, 'anonymous-root');
    expect((await clone(`${mega.server.url}/`, dir)).code).toBe(0);
    await fsckStrict(dir);
    expect(await filesOf(dir)).toEqual([
      'README.md',
      'import/README.md',
      'projects/README.md',
      'projects/pub',
    ]);
    expect(await readFile(join(dir, 'projects/pub'), 'utf8')).toBe(
      'version https://mega.com/directory/spec/v1\npath /projects/pub\n',
    );
    expect(await gitText(['log', '--format=%an <%ae>|%B'], { cwd: dir })).toBe(
      'Mega <mega@mega.local>|Mega directory /',
    );
    const objects = await objectsOf(dir);
    expect(objects).not.toMatch(/secret|vault/);
    expect(objects).not.toContain(secretLink);
    const filtered = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
    expect(await headOf(`${mega.server.url}/`, dave.as)).toBe(filtered);

    // Another server of the installation serves the same commits to the same permission sets.
    const second = await startMegaServer({ dataDir: mega.dataDir, args: ['--no-worker'] });
    try {
      expect(await headOf(`${second.url}/`, ANONYMOUS)).toBe(filtered);
      expect(await headOf(`${second.url}/projects`, dave.as)).toBe(
        await headOf(`${mega.server.url}/projects`, ANONYMOUS),
      );
      expect(await headOf(`${second.url}/projects`, carol.as)).toBe(before);
    } finally {
      await second.stop();
    }

    await git(['commit', '-q', '--allow-empty', '-m', 'try'], { cwd: dir });
    const pushed = await git(['push', `${mega.server.url}/`, 'HEAD:main'], {
      ...dave.as,
      cwd: dir,
      check: false,
    });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/\/ is shown without the repositories you may not read/);
  });

  it('a push through a filtered /projects cannot touch hidden repositories', async () => {
    const dir = join(mega.work, 'dave-projects');
    expect((await git(['clone', '-q', `${mega.server.url}/projects`, dir], dave.as)).code).toBe(0);
    // Writing where a hidden repository is: refused, without naming it as a repository.
    await commitFile(dir, 'secret/plans.txt', 'overwritten\n', 'overwrite a hidden repository');
    const refused = await git(['push', `${mega.server.url}/projects`, 'HEAD:main'], {
      ...dave.as,
      cwd: dir,
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/secret\/plans.txt is not inside a repository/);
    // A change of a visible repository he may write becomes a merge request for it alone.
    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: dir });
    await storage.access.setGrant('/projects/pub', 'user', dave.id, 'write');
    await commitFile(dir, 'pub/pub.txt', 'changed\n', 'change pub');
    const opened = await git(['push', `${mega.server.url}/projects`, 'HEAD:main'], { ...dave.as, cwd: dir });
    expect(opened.stderr).toMatch(/remote: merge request !\d+: /);
    expect(opened.stderr).toMatch(/remote: opened for \/projects\/pub\s*\n/);
    // The hidden repositories did not change.
    expect(await headOf(`${mega.server.url}/projects/secret`, carol.as)).not.toBe('');
    const secret = join(mega.work, 'carol-secret');
    await git(['clone', '-q', `${mega.server.url}/projects/secret`, secret], carol.as);
    expect(await filesOf(secret)).toEqual(['plans.txt']);
    expect(await readFile(join(secret, 'plans.txt'), 'utf8')).toBe('secret plans\n');
  });

  it('after a grant, git pull fast-forwards onto the reader’s new chain; after a revocation, pushes cannot reach it', async () => {
    const dir = join(mega.work, 'dave-pull');
    expect((await git(['clone', '-q', `${mega.server.url}/projects`, dir], dave.as)).code).toBe(0);
    const cloned = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
    await storage.access.setGrant('/projects/vault', 'user', dave.id, 'read');
    let granted = true;
    try {
      const pulled = await git(['pull', '--ff-only', '-q'], { ...dave.as, cwd: dir });
      expect(pulled.code).toBe(0);
      await fsckStrict(dir);
      expect(await filesOf(dir)).toEqual(['README.md', 'pub/pub.txt', 'vault/gold.txt']);
      expect(await gitText(['rev-parse', 'HEAD~1'], { cwd: dir })).toBe(cloned);
      expect(await objectsOf(dir)).not.toContain(secretHead);
      // Anonymous readers stay on their own chain.
      expect(await headOf(`${mega.server.url}/projects`, ANONYMOUS)).toBe(cloned);

      // Revoked: dave is back on the chain that hides vault; what he has is an ancestor of his
      // clone, and a change of vault pushed from it is refused (vault is not in his view).
      await storage.access.removeGrant('/projects/vault', 'user', dave.id);
      granted = false;
      expect(await headOf(`${mega.server.url}/projects`, dave.as)).toBe(cloned);
      expect((await git(['pull', '--ff-only', '-q'], { ...dave.as, cwd: dir })).code).toBe(0);
      await commitFile(dir, 'vault/gold.txt', 'lead\n', 'change vault after losing it');
      const refused = await git(['push', `${mega.server.url}/projects`, 'HEAD:main'], {
        ...dave.as,
        cwd: dir,
        check: false,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/vault\/gold.txt is not inside a repository/);
    } finally {
      if (granted) await storage.access.removeGrant('/projects/vault', 'user', dave.id);
    }
  });
});

describe('MEGA_CLONE_LIMIT and permissions', () => {
  let mega: DirectoryServer;
  let storage: Storage;

  beforeAll(async () => {
    mega = await startDirectoryServer({ env: { MEGA_CLONE_LIMIT: '2000' } });
    await makeRepo(join(mega.work, 'big'), [{ 'blob.txt': `${'big secret '.repeat(500)}\n` }]);
    await git(['push', `${mega.server.url}/projects/big`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'big'),
    });
    await makeRepo(join(mega.work, 'small'), [{ 'small.txt': 'small\n' }]);
    await git(['push', `${mega.server.url}/projects/small`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'small'),
    });
    storage = await openDirectoryStorage(mega.dataDir);
    await storage.access.setPathSetting('/projects/big', { visibility: 'private' });
  });
  afterAll(async () => {
    await storage?.close();
    await mega?.stop();
  });

  it('counts only the repositories the cloner may read', async () => {
    const dir = join(mega.work, 'anonymous');
    expect((await clone(`${mega.server.url}/projects`, dir)).code).toBe(0);
    expect(await filesOf(dir)).toEqual(['README.md', 'small/small.txt']);
    const refused = await git(['clone', '-q', `${mega.server.url}/projects`, join(mega.work, 'alice')], {
      ...mega.as.alice,
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/remote: \/projects expands to .* more than the clone limit/);
  });
});

describe('pushes through a directory view need write on each repository they touch', () => {
  let mega: DirectoryServer;
  let storage: Storage;
  let erin: Awaited<ReturnType<typeof plainUser>>;

  beforeAll(async () => {
    mega = await startDirectoryServer();
    for (const name of ['team-a', 'team-b']) {
      await makeRepo(join(mega.work, name), [{ [`${name}.txt`]: `${name}\n` }]);
      await git(['push', `${mega.server.url}/projects/${name}`, 'main'], {
        ...mega.as.alice,
        cwd: join(mega.work, name),
      });
    }
    storage = await openDirectoryStorage(mega.dataDir);
    erin = await plainUser(mega, 'erin');
    await storage.access.setGrant('/projects/team-a', 'user', erin.id, 'write');
  });
  afterAll(async () => {
    await storage?.close();
    await mega?.stop();
  });

  it('write on /projects/team-a only: a change of team-a opens a merge request, one touching team-b is refused', async () => {
    const dir = join(mega.work, 'erin-projects');
    expect((await git(['clone', '-q', `${mega.server.url}/projects`, dir], erin.as)).code).toBe(0);
    expect(await filesOf(dir)).toEqual(['README.md', 'team-a/team-a.txt', 'team-b/team-b.txt']);

    await commitFile(dir, 'team-a/team-a.txt', 'changed a\n', 'change team-a');
    await commitFile(dir, 'team-b/team-b.txt', 'changed b\n', 'change team-b');
    const refused = await git(['push', `${mega.server.url}/projects`, 'HEAD:main'], {
      ...erin.as,
      cwd: dir,
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      '! [remote rejected] HEAD -> main (proposing changes needs the write role on /projects/team-b)',
    );
    expect(await storage.monorepo.mergeRequests.list({ limit: 10, offset: 0 })).toEqual([]);

    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: dir });
    const opened = await git(['push', `${mega.server.url}/projects`, 'HEAD:main'], { ...erin.as, cwd: dir });
    expect(opened.stderr).toMatch(/remote: merge request !\d+: /);
    expect(opened.stderr).toMatch(/remote: opened for \/projects\/team-a\s*\n/);
  });

  it('write on /projects/team-a only: a push through /projects/team-b is refused before its upload', async () => {
    const dir = join(mega.work, 'erin-team-b');
    expect((await git(['clone', '-q', `${mega.server.url}/projects/team-b`, dir], erin.as)).code).toBe(0);
    await commitFile(dir, 'team-b.txt', 'changed b\n', 'change team-b');
    const refused = await git(['push', `${mega.server.url}/projects/team-b`, 'HEAD:main'], {
      ...erin.as,
      cwd: dir,
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('remote: push needs the write role on /projects/team-b');
    expect(refused.stderr).toMatch(/The requested URL returned error: 403/);
  });
});
