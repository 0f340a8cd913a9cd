import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

/**
 * Runs a command for a benchmark scenario (git, /usr/bin/time, bash) with git's system and global
 * configuration switched off, so the C git side is measured with its defaults. Resolves stdout;
 * rejects with stderr on a non-zero exit.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: Buffer | string } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: tmpdir(),
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${command} ${args.join(' ')}: ${Buffer.concat(err).toString()}`)),
    );
    child.stdin.end(options.input ?? '');
  });
}
