/**
 * What the harnesses that start a built `mega serve` share: their `--bin`, `--env K=V` and other
 * options, the server run as `bin`'s shebang runs it (its node flags and environment), and child
 * processes run to their end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface HarnessOptions {
  /** Every value given after `name` (`--env A=1 --env B=2`: both). */
  values(name: string): string[];
  /** The `mega` binary: `--bin`, else this checkout's `bin/mega.js`. */
  readonly bin: string;
  /** `--env K=V` pairs, for the server's environment. */
  readonly env: Record<string, string>;
}

export function harnessOptions(args: readonly string[]): HarnessOptions {
  const values = (name: string) =>
    args.flatMap((arg, at) => (arg === name && args[at + 1] ? [args[at + 1] as string] : []));
  const bin = resolve(values('--bin')[0] ?? join(import.meta.dirname, '../../bin/mega.js'));
  const env = Object.fromEntries(
    values('--env').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  return { values, bin, env };
}

/** `bin`'s shebang: its node flags and the environment it sets, so the server runs as `mega` does. */
export interface ShebangRun {
  readonly flags: string[];
  readonly env: Record<string, string>;
}

export async function shebang(bin: string): Promise<ShebangRun> {
  const words = ((await readFile(bin, 'utf8')).split('\n')[0] ?? '').split(' ');
  const env = Object.fromEntries(
    words.filter((word) => /^[A-Z_]+=/.test(word)).map((word) => word.split(/=(.*)/s).slice(0, 2)),
  ) as Record<string, string>;
  return { flags: words.filter((word) => word.startsWith('--')), env };
}

/** Waits for `child` to exit; its output, or an error with it when the exit code is not 0. */
export async function runToEnd(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number>((done) => child.on('close', (exit) => done(exit ?? -1)));
  if (code !== 0) throw new Error(`exit ${code}: ${out}`);
  return out;
}

export interface ServerStart {
  readonly options: HarnessOptions;
  readonly run: ShebangRun;
  readonly dataDir: string;
  /** Flags for the server's node only (`--cpu-prof`, which NODE_OPTIONS refuses). */
  readonly nodeFlags?: readonly string[];
  /** Receives the server's stderr; without it, stderr is kept for the error if it exits early. */
  readonly onStderr?: (chunk: string) => void;
}

/** Starts `mega serve` on a free loopback port with its data in `dataDir`; resolves once it listens. */
export async function startServer(start: ServerStart): Promise<{ child: ChildProcess; url: string }> {
  const { options, run, dataDir, nodeFlags = [], onStderr } = start;
  const child = spawn(
    process.execPath,
    [
      ...run.flags,
      ...nodeFlags,
      options.bin,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      dataDir,
    ],
    {
      env: { ...process.env, ...run.env, MEGA_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (onStderr) onStderr(chunk);
    else out += chunk;
  });
  const url = await new Promise<string>((done, fail) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) done(match[1].replace(/\/$/, ''));
    });
    child.once('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
  return { child, url };
}

/** An admin token made by `mega token create` in `dataDir`, before the server starts. */
export async function adminToken(options: HarnessOptions, run: ShebangRun, dataDir: string): Promise<string> {
  const out = await runToEnd(
    spawn(
      process.execPath,
      [...run.flags, options.bin, 'token', 'create', 'bench', '--admin', '--data', dataDir],
      {
        env: { ...process.env, ...run.env, MEGA_LOG_LEVEL: 'warn', ...options.env },
      },
    ),
  );
  return out.trim().split('\n').pop() ?? '';
}
