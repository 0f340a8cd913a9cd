import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLfsUser, sha256File, writeRandomFile } from '../support/git-lfs-client.js';
import { git, gitText, type GitResult } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { grantRole } from '../http/http-fixture.js';
import { loadConfig } from '../../src/platform/config.js';
import { openStorage } from '../../src/storage/storage.js';

const MiB = 1024 * 1024;
const BIG_FILE_BYTES = 100 * MiB;
const REPO_PATH = '/import/lfs-interop';

type User = 'alice' | 'bob' | 'root';

/**
 * The real `git` + `git-lfs` against a real `mega serve`: tracking, a 100 MiB push, a fresh clone,
 * and the locking workflow between two users and an administrator. Each user has an isolated git
 * config whose credential helper reads the user's token from a file (never a URL or an argument).
 */
describe('git-lfs client against mega serve', { timeout: 600_000 }, () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let remote: string;
  const envs = {} as Record<User, Record<string, string>>;

  async function tokenFor(user: User, dataDir: string): Promise<string> {
    const result = await runMega([
      'token',
      'create',
      user,
      '--data',
      dataDir,
      ...(user === 'root' ? ['--admin'] : []),
    ]);
    if (result.code !== 0) throw new Error(`mega token create failed: ${result.stderr}`);
    return result.stdout.trim().split('\n').pop() ?? '';
  }

  /** An isolated global git config for `user`: LFS filters, lock verification, credentials. */
  async function configureUser(user: User, token: string): Promise<void> {
    envs[user] = await configureLfsUser(temp.path, user, token);
  }

  const as = (user: User, args: string[], cwd: string, check = true): Promise<GitResult> =>
    git(args, { cwd, env: envs[user], check });

  beforeAll(async () => {
    temp = await makeTempDir('mega-lfs-interop-');
    const dataDir = join(temp.path, 'data');
    for (const user of ['alice', 'bob', 'root'] as const) {
      await configureUser(user, await tokenFor(user, dataDir));
    }
    // alice creates the repositories (and so maintains them); bob may push, not force-unlock.
    await grantRole(dataDir, 'alice', '/import', 'write');
    await grantRole(dataDir, 'alice', '/projects', 'write');
    await grantRole(dataDir, 'bob', '/import', 'write');
    // bob (a writer) pushes main: this repository protects release branches, not its default one.
    const storage = await openStorage(loadConfig({ env: {}, overrides: { dataDir } }));
    await storage.access.protectBranches(REPO_PATH, 'release/*');
    await storage.close();
    server = await startMegaServer({ dataDir });
    remote = `${server.url}${REPO_PATH}.git`;
  });

  afterAll(async () => {
    await server?.stop();
    await temp?.remove();
  });

  let bigSha: string;
  const aliceDir = () => join(temp.path, 'alice');
  const bobDir = () => join(temp.path, 'bob');

  it('tracks and pushes a 100 MiB file; a fresh clone receives the same content', async () => {
    const dir = aliceDir();
    await git(['init', '-q', dir], { env: envs.alice });
    await as('alice', ['lfs', 'install', '--local'], dir);
    await as('alice', ['lfs', 'track', '*.bin'], dir);
    bigSha = await writeRandomFile(join(dir, 'big.bin'), BIG_FILE_BYTES);
    await writeFile(join(dir, 'asset.bin'), 'version 1\n');
    await as('alice', ['add', '.gitattributes', 'big.bin', 'asset.bin'], dir);
    await as('alice', ['commit', '-q', '-m', 'add LFS files'], dir);
    const pointer = await gitText(['cat-file', '-p', 'HEAD:big.bin'], { cwd: dir, env: envs.alice });
    expect(pointer).toContain(`oid sha256:${bigSha}`);
    await as('alice', ['remote', 'add', 'origin', remote], dir);
    const push = await as('alice', ['push', 'origin', 'main'], dir, false);
    expect(push.code, push.stderr).toBe(0);
    expect(server.output()).not.toContain(await tokenPrefix('alice'));

    const clone = bobDir();
    const cloned = await git(['clone', remote, clone], { env: envs.bob, check: false });
    expect(cloned.code, cloned.stderr).toBe(0);
    await as('bob', ['lfs', 'install', '--local'], clone);
    expect(await sha256File(join(clone, 'big.bin'))).toBe(bigSha);
  });

  it("refuses a second user's push of a file locked by the first, until it is unlocked", async () => {
    const lock = await as('alice', ['lfs', 'lock', 'asset.bin'], aliceDir(), false);
    expect(lock.code, lock.stderr).toBe(0);
    const listed = await as('bob', ['lfs', 'locks'], bobDir());
    expect(listed.stdout.toString()).toMatch(/asset\.bin\s+alice/);

    await writeFile(join(bobDir(), 'asset.bin'), 'version 2 by bob\n');
    await as('bob', ['commit', '-q', '-am', 'bob edits a locked file'], bobDir());
    const refused = await as('bob', ['push', 'origin', 'main'], bobDir(), false);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout.toString()).toMatch(/Cannot update locked files/);

    const unlock = await as('alice', ['lfs', 'unlock', 'asset.bin'], aliceDir(), false);
    expect(unlock.code, unlock.stderr).toBe(0);
    const accepted = await as('bob', ['push', 'origin', 'main'], bobDir(), false);
    expect(accepted.code, accepted.stderr).toBe(0);
  });

  it('lets only a maintainer or an administrator force-unlock another user’s lock', async () => {
    await as('alice', ['pull', '-q', 'origin', 'main'], aliceDir());
    const lock = await as('alice', ['lfs', 'lock', 'asset.bin'], aliceDir(), false);
    expect(lock.code, lock.stderr).toBe(0);

    const notOwner = await as('bob', ['lfs', 'unlock', 'asset.bin'], bobDir(), false);
    expect(notOwner.code).not.toBe(0);
    const notAdmin = await as('bob', ['lfs', 'unlock', '--force', 'asset.bin'], bobDir(), false);
    expect(notAdmin.code).not.toBe(0);

    const adminClone = join(temp.path, 'root');
    await git(['clone', '-q', remote, adminClone], { env: envs.root });
    const forced = await as('root', ['lfs', 'unlock', '--force', 'asset.bin'], adminClone, false);
    expect(forced.code, forced.stderr).toBe(0);
    const remaining = await as('root', ['lfs', 'locks'], adminClone);
    expect(remaining.stdout.toString().trim()).toBe('');
  });

  it('serves LFS content through Mega directory paths (/projects/<repo> and the /projects view)', async () => {
    const dir = join(temp.path, 'project');
    await git(['init', '-q', dir], { env: envs.alice });
    await as('alice', ['lfs', 'install', '--local'], dir);
    await as('alice', ['lfs', 'track', '*.bin'], dir);
    const sha = await writeRandomFile(join(dir, 'model.bin'), 3 * MiB);
    await as('alice', ['add', '.gitattributes', 'model.bin'], dir);
    await as('alice', ['commit', '-q', '-m', 'model'], dir);
    const push = await as(
      'alice',
      ['push', `${server.url}/projects/lfs-app.git`, 'HEAD:refs/heads/main'],
      dir,
      false,
    );
    expect(push.code, push.stderr).toBe(0);

    for (const [path, file] of [
      ['/projects/lfs-app', 'model.bin'],
      ['/projects', 'lfs-app/model.bin'],
    ] as const) {
      const clone = join(temp.path, `clone${path.replaceAll('/', '-')}`);
      const cloned = await git(['clone', `${server.url}${path}.git`, clone], { env: envs.bob, check: false });
      expect(cloned.code, cloned.stderr).toBe(0);
      expect(await sha256File(join(clone, file)), path).toBe(sha);
    }
  });

  async function tokenPrefix(user: User): Promise<string> {
    return (await readFile(join(temp.path, `home-${user}`, 'token'), 'utf8')).slice(0, 16);
  }
});
