import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { git, type GitOptions } from '../support/git-cli.js';
import { ssh, startSshServer, type SshServer } from './ssh-harness.js';

/**
 * What the SSH server refuses, with the real OpenSSH client: unknown and revoked keys, a
 * read-only deploy key pushing, a deploy key outside its path, users without rights, command
 * injection, shells, pseudo-terminals and port forwarding.
 */
describe('git over SSH refuses', () => {
  let mega: SshServer;
  let aliceKey: string;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);
  const withCwd = (options: GitOptions, cwd: string): GitOptions => ({ ...options, cwd, check: false });
  const at = (key: string, command?: string, extra: readonly string[] = []) => [
    ...mega.sshArgs(key),
    ...extra,
    'git@127.0.0.1',
    ...(command === undefined ? [] : [command]),
  ];

  beforeAll(async () => {
    mega = await startSshServer();
    await mega.mega(['token', 'create', 'alice', '--admin']);
    await mega.mega(['token', 'create', 'bob']);
    aliceKey = await mega.keygen('alice');
    await mega.mega(['user', 'key', 'add', 'alice', `${aliceKey}.pub`]);
    await makeRepo(join(mega.work, 'lib'), [{ 'a.txt': 'a\n' }]);
    await git(['push', `${mega.sshUrl}/import/lib.git`, 'main'], {
      ...mega.gitAs(aliceKey),
      cwd: join(mega.work, 'lib'),
    });
    await makeRepo(join(mega.work, 'other'), [{ 'o.txt': 'o\n' }]);
    await git(['push', `${mega.sshUrl}/import/other.git`, 'main'], {
      ...mega.gitAs(aliceKey),
      cwd: join(mega.work, 'other'),
    });
  }, 60_000);
  afterAll(async () => {
    await mega?.stop();
  });

  it('a key nobody added, before any command runs', async () => {
    const stranger = await mega.keygen('stranger');
    const result = await git(['clone', `${mega.sshUrl}/import/lib.git`, fresh()], {
      ...mega.gitAs(stranger),
      check: false,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('a key once it is removed', async () => {
    await mega.mega(['token', 'create', 'carol']);
    const key = await mega.keygen('carol', 'ecdsa');
    const added = await mega.mega(['user', 'key', 'add', 'carol', `${key}.pub`]);
    const id = added.split('\t')[0] ?? '';
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, fresh()], mega.gitAs(key));
    await mega.mega(['user', 'key', 'remove', 'carol', id]);
    const result = await git(['clone', `${mega.sshUrl}/import/lib.git`, fresh()], {
      ...mega.gitAs(key),
      check: false,
    });
    expect(result.stderr).toMatch(/Permission denied \(publickey\)/);
  });

  it('a push with a read-only deploy key; its path only; a read-write one pushes', async () => {
    const readOnly = await mega.keygen('deploy-ro');
    const readWrite = await mega.keygen('deploy-rw', 'rsa');
    await mega.mega(['deploy-key', 'add', '/import/lib', `${readOnly}.pub`, '--as', 'alice']);
    await mega.mega(['deploy-key', 'add', '/import/lib', `${readWrite}.pub`, '--as', 'alice', '--write']);
    const dir = fresh();
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, dir], mega.gitAs(readOnly));
    await commitFile(dir, 'a.txt', 'deployed\n', 'deploy');
    const refused = await git(['push', 'origin', 'main'], withCwd(mega.gitAs(readOnly), dir));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/remote error: push needs the write role on \/import\/lib/);
    const elsewhere = await git(['clone', `${mega.sshUrl}/import/other.git`, fresh()], {
      ...mega.gitAs(readOnly),
      check: false,
    });
    expect(elsewhere.stderr).toMatch(/remote error: \/import\/other: not found/);
    // The default branch is protected (maintain), as over HTTP; a new branch needs write.
    const pushed = await git(['push', 'origin', 'main:deploy'], withCwd(mega.gitAs(readWrite), dir));
    expect(pushed.code, pushed.stderr).toBe(0);
    const protectedBranch = await git(['push', 'origin', 'main'], withCwd(mega.gitAs(readWrite), dir));
    expect(protectedBranch.stderr).toMatch(/protected branch main needs the maintain role/);
  });

  it('a push by a user without write, with the reason', async () => {
    const bob = await mega.keygen('bob');
    await mega.mega(['user', 'key', 'add', 'bob', `${bob}.pub`]);
    const dir = fresh();
    await git(['clone', '-q', `${mega.sshUrl}/import/lib.git`, dir], mega.gitAs(bob));
    await commitFile(dir, 'a.txt', 'bob\n', 'bob');
    const refused = await git(['push', 'origin', 'main'], withCwd(mega.gitAs(bob), dir));
    expect(refused.stderr).toMatch(/push needs the write role on \/import\/lib/);
  });

  it('injection attempts, with a message and nothing run', async () => {
    const marker = join(mega.work, 'pwned');
    for (const command of [
      `git-upload-pack '/import/lib.git'; touch ${marker}`,
      `git-upload-pack '/import/lib.git' && touch ${marker}`,
      `git-upload-pack '$(touch ${marker})'`,
      `touch ${marker}`,
      `git-upload-pack '--upload-pack=touch ${marker}'`,
      "git-upload-pack '/import/../../etc'",
    ]) {
      const result = await ssh(at(aliceKey, command));
      expect(result.code, command).toBe(1);
      expect(result.stderr, command).toMatch(/^mega: /);
      expect(result.stdout).toBe('');
    }
    expect(existsSync(marker)).toBe(false);
    // git passes what the URL says; the path is refused before anything is served.
    const viaGit = await git(['clone', `${mega.sshUrl}/import/x;touch%20${marker}`, fresh()], {
      ...mega.gitAs(aliceKey),
      check: false,
    });
    expect(viaGit.code).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('a shell (with a greeting), a pseudo-terminal and subsystems', async () => {
    const shell = await ssh(at(aliceKey, undefined, ['-T']));
    expect(shell.code).toBe(1);
    expect(shell.stderr).toMatch(/Hi alice! .* no shell access/);
    const pty = await ssh(at(aliceKey, undefined, ['-tt']));
    expect(pty.code).not.toBe(0);
    expect(pty.stderr).toMatch(/PTY allocation request failed/);
    const sftp = await ssh(at(aliceKey, 'sftp', ['-s']));
    expect(sftp.code).not.toBe(0);
  });

  it('port forwarding, local and remote', async () => {
    const httpPort = new URL(mega.server.url).port;
    const local = await ssh(
      at(aliceKey, undefined, ['-o', 'ExitOnForwardFailure=yes', '-W', `127.0.0.1:${httpPort}`]),
    );
    expect(local.code).not.toBe(0);
    expect(local.stderr).toMatch(/stdio forwarding failed|administratively prohibited/);
    const remote = await ssh(
      at(aliceKey, undefined, ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `0:127.0.0.1:${httpPort}`]),
    );
    expect(remote.code).not.toBe(0);
    expect(remote.stderr).toMatch(/remote port forwarding failed/);
  });

  it('more unauthenticated connections from one address than the limit', async () => {
    // Four silent TCP connections (no SSH banner) hold every unauthenticated slot of 127.0.0.1.
    const silent: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = connect(mega.sshPort, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      silent.push(socket);
    }
    const refused = await ssh(at(aliceKey, "git-upload-pack '/import/lib.git'"));
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/Connection (closed|reset)|kex_exchange_identification/);
    for (const socket of silent) socket.destroy();
    // Freed as they close: the same client gets in again.
    await expect.poll(async () => (await ssh(at(aliceKey, undefined, ['-T']))).stderr).toMatch(/Hi alice!/);
  });
});
