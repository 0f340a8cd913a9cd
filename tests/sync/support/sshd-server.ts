import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { join } from 'node:path';

/**
 * A real OpenSSH server on a loopback port for tests: generated host key, one authorized client key,
 * a generated sshd_config (root login by key only; StrictModes off because the files live in a
 * temp dir). Git runs `git-upload-pack` through it like on any SSH git host.
 */
export interface SshServer {
  readonly port: number;
  /** `ssh-ed25519 AAAA… comment` of the server. */
  readonly hostPublicKey: string;
  /** The client's private key (OpenSSH format) authorized to log in. */
  readonly clientPrivateKey: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export function generateKey(path: string): { privateKey: string; publicKey: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mega-test', '-f', path], {
    stdio: 'ignore',
  });
  return { privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export async function startSshServer(dir: string): Promise<SshServer> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const host = generateKey(join(dir, 'host_ed25519'));
  const client = generateKey(join(dir, 'client_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin yes',
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitForPort(port);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`sshd did not start: ${stderr} ${String(error)}`);
  }
  return {
    port,
    hostPublicKey: host.publicKey,
    clientPrivateKey: client.privateKey,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
