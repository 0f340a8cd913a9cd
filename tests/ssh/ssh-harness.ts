import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { GitOptions } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { createScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);

/** A `mega serve --ssh-port 0` process, its ports, and helpers to act as a key holder. */
export interface SshServer {
  readonly server: MegaServer;
  readonly sshPort: number;
  readonly dataDir: string;
  readonly work: string;
  /** `ssh://git@127.0.0.1:PORT` (append a path). */
  readonly sshUrl: string;
  /** A new key pair (ssh-keygen, at run time) → the private key's path (`.pub` beside it). */
  keygen(name: string, type?: 'ed25519' | 'ecdsa' | 'rsa'): Promise<string>;
  /** git options that use the OpenSSH client with this private key (and nothing else). */
  gitAs(key: string): GitOptions;
  /** The ssh command line (without destination) for this key: for GIT_SSH_COMMAND and direct use. */
  sshArgs(key: string): string[];
  /** Runs `mega …` on the server's data directory (the operator). */
  mega(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startSshServer(
  options: {
    args?: readonly string[];
    /** For the server and the `mega` commands: `MEGA_DATABASE_URL` of a scratch database, say. */
    env?: Readonly<Record<string, string>>;
  } = {},
): Promise<SshServer> {
  const temp = await makeTempDir('mega-ssh-');
  const dataDir = join(temp.path, 'data');
  const work = join(temp.path, 'work');
  const home = join(temp.path, 'home');
  await mkdir(work, { recursive: true });
  await mkdir(home, { recursive: true });
  const knownHosts = join(temp.path, 'known_hosts');
  const mega = async (args: readonly string[]) => {
    const result = await runMega([...args, '--data', dataDir], options.env ? { env: options.env } : {});
    if (result.code !== 0) throw new Error(`mega ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };
  const server = await startMegaServer({
    dataDir,
    args: ['--no-worker', '--ssh-port', '0', ...(options.args ?? [])],
    ...(options.env ? { env: options.env } : {}),
  });
  const port = Number(/ssh listening on ssh:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no ssh port in:\n${server.output()}`);
  const sshArgs = (key: string) => [
    '-F',
    '/dev/null',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    '-i',
    key,
    '-p',
    String(port),
  ];
  return {
    server,
    sshPort: port,
    dataDir,
    work,
    sshUrl: `ssh://git@127.0.0.1:${port}`,
    async keygen(name, type = 'ed25519') {
      const file = join(temp.path, `key-${name}`);
      await run('ssh-keygen', [
        '-q',
        '-t',
        type,
        ...(type === 'rsa' ? ['-b', '2048'] : []),
        '-N',
        '',
        '-C',
        name,
        '-f',
        file,
      ]);
      return file;
    },
    gitAs: (key) => ({
      env: {
        HOME: home,
        // Quoting is not needed: every argument is a plain path or option in the temp dir.
        GIT_SSH_COMMAND: ['ssh', ...sshArgs(key)].join(' '),
      },
    }),
    sshArgs,
    mega,
    async stop() {
      await server.stop();
      await temp.remove();
    },
  };
}

export interface SshResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `ssh` client with `args` (stdin closed); never rejects. */
export function ssh(args: readonly string[], timeoutMs = 20_000): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn('ssh', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * The databases SSH suites that store something run on: SQLite always, PostgreSQL when it answers
 * (the suite is then skipped, and says so).
 */
export const SSH_TEST_DIALECTS: readonly (readonly ['sqlite' | 'postgres', boolean])[] = [
  ['sqlite', true],
  ['postgres', await serviceAvailable('postgres')],
];

/** `startSshServer` on a dialect of `SSH_TEST_DIALECTS`: PostgreSQL in a scratch database, dropped by `stop`. */
export async function startSshServerOn(
  dialect: 'sqlite' | 'postgres',
  options: Parameters<typeof startSshServer>[0] = {},
): Promise<SshServer> {
  if (dialect === 'sqlite') return startSshServer(options);
  const scratch = await createScratchDatabase('postgres');
  const mega = await startSshServer({ ...options, env: { ...options.env, MEGA_DATABASE_URL: scratch.url } });
  return {
    ...mega,
    async stop() {
      await mega.stop();
      await scratch.drop();
    },
  };
}
