import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { configureLfsUser, sha256File, writeRandomFile } from '../support/git-lfs-client.js';
import { SSH_TEST_DIALECTS, ssh, startSshServerOn, type SshServer } from './ssh-harness.js';

/**
 * Git LFS on an `ssh://` remote with the real git-lfs (3.x), whose first choice is the pure SSH
 * protocol (`git-lfs-transfer`), with `git-lfs-authenticate` and HTTP as its fallback. No token
 * is configured anywhere: the SSH key is the only credential. Which path a client took is read
 * from the server's `mega_ssh_commands_total`.
 */
for (const [dialect, available] of SSH_TEST_DIALECTS)
  describe.skipIf(!available)(`git-lfs over SSH on ${dialect}`, () => {
    let mega: SshServer;
    let key: string;
    let env: GitOptions['env'];

    /** How many times each SSH command ran, by `command/outcome`. */
    const commandCounts = async () => {
      const text = await (await fetch(`${mega.server.url}/metrics`)).text();
      const counts = new Map<string, number>();
      for (const match of text.matchAll(
        /^mega_ssh_commands_total\{command="([^"]+)",outcome="([^"]+)"\} (\d+)/gm,
      ))
        counts.set(`${match[1]}/${match[2]}`, Number(match[3]));
      return counts;
    };
    const total = (counts: Map<string, number>, command: string) =>
      [...counts].filter(([name]) => name.startsWith(`${command}/`)).reduce((sum, [, n]) => sum + n, 0);
    const lfsRepo = async (name: string, bytes = 300_000) => {
      const src = join(mega.work, name);
      await git(['init', '-q', '-b', 'main', src], { env });
      await git(['lfs', 'install', '--local'], { cwd: src, env });
      await git(['lfs', 'track', '*.bin'], { cwd: src, env });
      const oid = await writeRandomFile(join(src, 'data.bin'), bytes);
      await writeFile(join(src, 'small.txt'), 'text\n');
      await git(['add', '.'], { cwd: src, env });
      await git(['commit', '-qm', 'lfs'], { cwd: src, env });
      return { src, oid };
    };

    beforeAll(async () => {
      mega = await startSshServerOn(dialect);
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

    it('pushes and pulls LFS objects over the SSH channel alone (git-lfs-transfer)', async () => {
      // Several MiB: many pkt-lines each way, and the channel's flow control.
      const { src, oid } = await lfsRepo('src', 5 * 1024 * 1024 + 3);
      const pushed = await git(['push', `${mega.sshUrl}/import/media.git`, 'main'], { cwd: src, env });
      expect(pushed.code, pushed.stderr).toBe(0);

      const copy = join(mega.work, 'copy');
      await git(['clone', '-q', `${mega.sshUrl}/import/media.git`, copy], { env });
      expect(await sha256File(join(copy, 'data.bin'))).toBe(oid);
      expect(await gitText(['lfs', 'ls-files', '--long'], { cwd: copy, env })).toContain(oid);
      await git(['lfs', 'fsck'], { cwd: copy, env });

      const counts = await commandCounts();
      expect(counts.get('git-lfs-transfer/done') ?? 0, JSON.stringify([...counts])).toBeGreaterThanOrEqual(2);
      expect(total(counts, 'git-lfs-authenticate')).toBe(0);
    });

    it('falls back to git-lfs-authenticate and HTTP where git-lfs-transfer is refused', async () => {
      // An SSH command that refuses git-lfs-transfer, as a server without it does.
      const wrapper = join(mega.work, 'ssh-without-transfer.sh');
      await writeFile(
        wrapper,
        `#!/bin/sh\ncase "$*" in *git-lfs-transfer*) echo 'no git-lfs-transfer here' >&2; exit 1;; esac\nexec ${env?.GIT_SSH_COMMAND ?? 'ssh'} "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      const fallback = { ...env, GIT_SSH_COMMAND: wrapper };
      const before = total(await commandCounts(), 'git-lfs-authenticate');
      const { src, oid } = await lfsRepo('src-http');
      await git(['push', `${mega.sshUrl}/import/media-http.git`, 'main'], { cwd: src, env: fallback });
      const copy = join(mega.work, 'copy-http');
      await git(['clone', '-q', `${mega.sshUrl}/import/media-http.git`, copy], { env: fallback });
      expect(await sha256File(join(copy, 'data.bin'))).toBe(oid);
      expect(total(await commandCounts(), 'git-lfs-authenticate')).toBeGreaterThan(before);
    });

    it('locks, lists and unlocks files over SSH, as the HTTP locking API sees them', async () => {
      const copy = join(mega.work, 'copy');
      const before = await commandCounts();
      const locked = await git(['lfs', 'lock', 'data.bin'], { cwd: copy, env });
      expect(locked.stdout.toString()).toMatch(/Locked data\.bin/);
      const listed = await gitText(['lfs', 'locks'], { cwd: copy, env });
      expect(listed).toMatch(/^data\.bin\s+alice\s+ID:\d+/);
      const token = (await mega.mega(['token', 'create', 'alice'])).trim().split('\n').pop() ?? '';
      const api = async () =>
        (await (
          await fetch(`${mega.server.url}/import/media.git/info/lfs/locks`, {
            headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.git-lfs+json' },
          })
        ).json()) as { locks: Array<{ path: string; owner: { name: string } }> };
      expect((await api()).locks).toEqual([
        expect.objectContaining({ path: 'data.bin', owner: { name: 'alice' } }),
      ]);

      // A push verifies locks over the same channel: its own lock does not stop it.
      await writeFile(join(copy, 'data.bin'), 'changed while locked\n');
      await git(['commit', '-qam', 'change the locked file'], { cwd: copy, env });
      const pushed = await git(['push', 'origin', 'main'], { cwd: copy, env });
      expect(pushed.code, pushed.stderr).toBe(0);

      const again = await git(['lfs', 'lock', 'data.bin'], { cwd: copy, env, check: false });
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/already created lock/);
      await git(['lfs', 'unlock', 'data.bin'], { cwd: copy, env });
      expect((await api()).locks).toEqual([]);
      const after = await commandCounts();
      expect(total(after, 'git-lfs-transfer')).toBeGreaterThanOrEqual(total(before, 'git-lfs-transfer') + 5);
      expect(total(after, 'git-lfs-authenticate')).toBe(total(before, 'git-lfs-authenticate'));
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
      // git-lfs-transfer refuses the same way, before it offers anything.
      const transfer = await ssh([...base, 'git-lfs-transfer /import/none.git download']);
      expect(transfer.code).toBe(1);
      expect(transfer.stdout).toBe('');
      expect(transfer.stderr).toMatch(/^mega: \/import\/none: not found/);
    });
  });
