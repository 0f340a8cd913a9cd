import { spawn } from 'node:child_process';

/**
 * Runs the real `git` CLI for tests with an isolated environment: no system or global config,
 * fixed identity and dates (so generated repositories are reproducible), no prompts.
 */
export interface GitResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface GitOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: Buffer | string;
  /** Reject unless git exits with 0 (default true). */
  readonly check?: boolean;
}

export const TEST_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_COMMITTER_DATE: '1700000000 +0000',
  GIT_PROTOCOL_FROM_USER: '1',
  LC_ALL: 'C',
};

export function git(args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...TEST_GIT_ENV,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = {
        code: code ?? -1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if ((options.check ?? true) && result.code !== 0) {
        reject(new Error(`git ${args.join(' ')} exited with ${result.code}: ${result.stderr}`));
      } else {
        resolve(result);
      }
    });
    // git may exit before reading its (empty) stdin; that EPIPE is not a failure of the command.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `git …` and return trimmed stdout as text. */
export async function gitText(args: readonly string[], options: GitOptions = {}): Promise<string> {
  return (await git(args, options)).stdout.toString('utf8').trim();
}

/** What git's own filter keeps of the branches and tags of `dir` (rev-list --filter), sorted. */
export async function filteredObjects(dir: string, filter: string): Promise<string[]> {
  return (await gitText(['-C', dir, 'rev-list', '--objects', '--branches', '--tags', `--filter=${filter}`]))
    .split('\n')
    .map((line) => line.slice(0, 40))
    .filter((id) => id !== '')
    .sort();
}

/** Every object id a repository holds, sorted (`git cat-file --batch-all-objects`). */
export async function presentObjects(repo: string): Promise<string[]> {
  const out = await gitText(['-C', repo, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)']);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}
