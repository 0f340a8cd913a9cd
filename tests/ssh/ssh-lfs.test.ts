import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { configureLfsUser, sha256File, writeRandomFile } from '../support/git-lfs-client.js';
import { ssh, startSshServer, type SshServer } from './ssh-harness.js';

/**
 * Git LFS on an `ssh://` remote with the real git-lfs: it asks `git-lfs-authenticate` over SSH
 * for the HTTP endpoint and a short-lived header, then transfers over HTTP. No token is
 * configured anywhere: the SSH key is the only credential.
 */
describe('git-lfs over SSH', () => {
  let mega: SshServer;
  let key: string;
  let env: GitOptions['env'];

  beforeAll(async () => {
    mega = await startSshServer();
    await mega.mega(['token', 'create', 'alice', '--admin']);
    key = await mega.keygen('alice');
    await mega.mega(['user', 'key', 'add', 'alice', `${key}.pub`]);
    // LFS filters from an isolated global config; the "token" there is never asked for.
    const lfs = await configureLfsUser(mega.work, 'alice', 'unused');
    env = { ...lfs, GIT_SSH_COMMAND: mega.gitAs(key).env?.GIT_SSH_COMMAND ?? '' };
  }, 60_000);
  afterAll(async () => {
    await mega?.stop();
  });

  it('pushes and pulls LFS objects', async () => {
    const src = join(mega.work, 'src');
    await git(['init', '-q', '-b', 'main', src], { env });
    await git(['lfs', 'install', '--local'], { cwd: src, env });
    await git(['lfs', 'track', '*.bin'], { cwd: src, env });
    const oid = await writeRandomFile(join(src, 'data.bin'), 300_000);
    await writeFile(join(src, 'small.txt'), 'text\n');
    await git(['add', '.'], { cwd: src, env });
    await git(['commit', '-qm', 'lfs'], { cwd: src, env });
    const pushed = await git(['push', `${mega.sshUrl}/import/media.git`, 'main'], { cwd: src, env });
    expect(pushed.code, pushed.stderr).toBe(0);

    const copy = join(mega.work, 'copy');
    await git(['clone', '-q', `${mega.sshUrl}/import/media.git`, copy], { env });
    expect(await sha256File(join(copy, 'data.bin'))).toBe(oid);
    expect(await gitText(['lfs', 'ls-files', '--long'], { cwd: copy, env })).toContain(oid);
  });

  it('git-lfs-authenticate answers the HTTP href and a short-lived header, and refuses what git would', async () => {
    const base = [...mega.sshArgs(key), 'git@127.0.0.1'];
    const answer = await ssh([...base, "git-lfs-authenticate '/import/media.git' download"]);
    expect(answer.code, answer.stderr).toBe(0);
    const body = JSON.parse(answer.stdout) as {
      href: string;
      header: Record<string, string>;
      expires_in: number;
    };
    expect(body.href).toBe(`${mega.server.url}/import/media.git/info/lfs`);
    expect(body.header.Authorization).toMatch(/^Bearer mega_sshlfs_/);
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.expires_in).toBeLessThanOrEqual(600);
    // The header works for the LFS API of that repository, and nowhere else.
    const batch = (path: string) =>
      fetch(`${mega.server.url}${path}.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: {
          Authorization: body.header.Authorization ?? '',
          'Content-Type': 'application/vnd.git-lfs+json',
          Accept: 'application/vnd.git-lfs+json',
        },
        body: JSON.stringify({ operation: 'download', objects: [] }),
      });
    expect((await batch('/import/media')).status).toBe(200);
    expect((await fetch(`${mega.server.url}/api/v1/user`, { headers: body.header })).status).toBe(401);

    const missing = await ssh([...base, "git-lfs-authenticate '/import/none.git' download"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mega: \/import\/none: not found/);
    // An upload before the first push is allowed (write on the parent), as over HTTP.
    const creating = await ssh([...base, 'git-lfs-authenticate import/new.git upload']);
    expect(creating.code, creating.stderr).toBe(0);
    const transfer = await ssh([...base, "git-lfs-transfer '/import/media.git' download"]);
    expect(transfer.code).toBe(1);
    expect(transfer.stderr).toMatch(/git-lfs-transfer is not supported/);
  });
});
