import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI (`npm test` builds dist/ first through `pretest`). */
export const MEGA_BIN = fileURLToPath(new URL('../../bin/mega.js', import.meta.url));

/** The words of bin/mega.js's shebang (`#!/usr/bin/env -S NAME=VALUE… node FLAGS`). */
const SHEBANG_WORDS = (readFileSync(MEGA_BIN, 'utf8').split('\n')[0] ?? '').split(' ');
/** The node flags of the shebang: run it as `mega` runs (and the storage bench's ingest too). */
export const MEGA_NODE_FLAGS = SHEBANG_WORDS.filter((part) => part.startsWith('--'));
/** The environment the shebang sets (glibc's malloc settings), before the caller's. */
export const MEGA_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  SHEBANG_WORDS.filter((part) => /^[A-Z_]+=/.test(part)).map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at), part.slice(at + 1)];
  }),
);

export interface MegaRunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a one-shot `mega …` command to completion. */
export function runMega(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; input?: string; cwd?: string } = {},
): Promise<MegaRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...MEGA_NODE_FLAGS, MEGA_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...MEGA_ENV, MEGA_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface MegaServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Server output so far (stdout + stderr), for assertions and failure messages. */
  output(): string;
  /** Resident set size of the server process in MiB (from /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

/**
 * Starts `mega serve --port 0 --data DIR …` and resolves once it prints
 * `listening on http://HOST:PORT` on stdout.
 */
export function startMegaServer(options: {
  dataDir: string;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  nodeArgs?: readonly string[];
  /** Another build's `bin/mega.js` (a bench comparing two builds); this checkout's by default. */
  bin?: string;
  /** How long it may take to listen (default 30 s; more where several processes start at once). */
  startTimeoutMs?: number;
}): Promise<MegaServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [
      ...MEGA_NODE_FLAGS,
      ...(options.nodeArgs ?? []),
      options.bin ?? MEGA_BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      options.dataDir,
      ...(options.args ?? []),
    ],
    {
      env: { ...process.env, ...MEGA_ENV, MEGA_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mega serve did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        const url = match[1].replace(/\/$/, '');
        resolve({
          url,
          process: child,
          output: () => output,
          rssMb: () => {
            const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
          },
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mega serve exited with ${code} before listening:\n${output}`));
    });
  });
}

export interface MegaWorker {
  readonly id: string;
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `mega worker --data DIR --port 0` and resolves once it prints
 * `worker ID listening on URL`; rejects with its output if it exits first.
 */
export function startMegaWorker(options: {
  dataDir: string;
  env?: Readonly<Record<string, string>>;
  /** How long it may take to listen (default 30 s). */
  startTimeoutMs?: number;
}): Promise<MegaWorker> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [...MEGA_NODE_FLAGS, MEGA_BIN, 'worker', '--data', options.dataDir, '--port', '0'],
    {
      env: { ...process.env, ...MEGA_ENV, MEGA_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mega worker did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /worker (worker-\S+) listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        id: match[1] as string,
        url: match[2] as string,
        process: child,
        output: () => output,
        stop: (signal = 'SIGTERM') =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill(signal);
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mega worker exited with ${code} before listening:\n${output}`));
    });
  });
}
