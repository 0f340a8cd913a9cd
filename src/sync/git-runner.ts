import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MegaError, invalid } from '../platform/errors.js';
import { classifyGitFailure, type SyncErrorClass } from './error-class.js';
import { NO_AUTH, type PreparedAuth } from './git-auth.js';
import { Redactor, truncateText } from './redact.js';
import { ALLOWED_NETWORK_PROTOCOLS } from './remote-url.js';
import { appendAll } from '../platform/append-all.js';

/**
 * The one way the sync area runs the git CLI (STYLE.md §7): argument arrays without a shell, user
 * values only after `--` and never starting with `-`, an isolated environment (no system/global
 * config, a private HOME, no prompts, C locale so errors can be classified), secrets only in the
 * child's environment, a deadline and an AbortSignal that kill the whole process group (git,
 * git-remote-https, ssh), and output capped and redacted by the secret values themselves.
 */
export interface GitRunnerOptions {
  readonly gitPath?: string;
  /** Default deadline per command (GIT_COMMAND_TIMEOUT). */
  readonly timeoutMs: number;
  /** Proxy and TLS variables handed through (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, GIT_SSL_CAINFO). */
  readonly passEnv?: Readonly<Record<string, string>>;
  /** Where temp HOME and SSH key directories are made; default the OS temp dir. */
  readonly tempRoot?: string;
  /** Bytes of stderr kept (the tail) and of stdout kept (the head). */
  readonly maxStderrBytes?: number;
  readonly maxStdoutBytes?: number;
  /** Let git use file:// and local paths for the remote itself (never for submodules). */
  readonly allowFileProtocol?: boolean;
}

export interface GitRunOptions {
  readonly cwd?: string;
  readonly auth?: PreparedAuth;
  /** Extra trusted `GIT_CONFIG_*` entries (key, value). */
  readonly config?: ReadonlyArray<readonly [string, string]>;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface GitRunResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  /** Redacted, tail-capped. */
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
}

/** A failed git command: `errorClass` drives the retry policy; text already redacted. */
export class GitCommandError extends MegaError {
  readonly errorClass: SyncErrorClass;
  readonly output: string;

  constructor(errorClass: SyncErrorClass, message: string, output: string, exitCode: number | null) {
    super('unavailable', `git_${errorClass}`, message, { errorClass, exitCode });
    this.errorClass = errorClass;
    this.output = output;
  }
}

const DEFAULT_MAX_STDERR = 256 * 1024;
const DEFAULT_MAX_STDOUT = 8 * 1024 * 1024;
/**
 * Config every git process gets: no credential helper (secrets come only from us), and no
 * detached background gc/maintenance — a daemonized child leaves our process group and would
 * outlive the timeout's kill.
 */
const RUNNER_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['credential.helper', ''],
  ['gc.autoDetach', 'false'],
  ['maintenance.autoDetach', 'false'],
  ['core.askPass', ''],
];
const PASS_THROUGH_LOWERCASE = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** Refuses a user-supplied value that git could read as an option or that could split a line. */
export function assertSafeValue(value: string, what: string): string {
  if (value.length === 0 || value.startsWith('-') || /[\0\r\n]/.test(value)) {
    throw invalid(
      'git_argument_unsafe',
      `${what} must not be empty, start with "-" or contain control characters`,
    );
  }
  return value;
}

export class GitRunner {
  private readonly gitPath: string;
  private readonly home: string;
  private readonly baseEnv: Record<string, string>;
  readonly tempRoot: string;
  private readonly protocolConfig: ReadonlyArray<readonly [string, string]>;
  /** Credentials inside the passed-through proxy URLs: redacted like a run's own secrets. */
  private readonly proxySecrets: string[] = [];

  constructor(private readonly options: GitRunnerOptions) {
    this.gitPath = options.gitPath ?? 'git';
    this.tempRoot = options.tempRoot ?? tmpdir();
    this.home = mkdtempSync(join(this.tempRoot, 'mega-git-home-'));
    this.baseEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      LC_ALL: 'C',
      LANG: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GCM_INTERACTIVE: 'never',
    };
    this.protocolConfig = protocolPolicy(options.allowFileProtocol === true);
    for (const [name, value] of Object.entries(options.passEnv ?? {})) {
      if (value === '') continue;
      this.baseEnv[name] = value;
      appendAll(this.proxySecrets, urlCredentials(value));
      if (PASS_THROUGH_LOWERCASE.includes(name)) this.baseEnv[name.toLowerCase()] = value;
    }
  }

  /**
   * Runs `git <fixed…> -- <values…>`. `fixed` is trusted (our own options); every element of
   * `values` is checked by `assertSafeValue`. Never throws for a non-zero exit: see `runChecked`.
   */
  run(
    fixed: readonly string[],
    values: readonly string[],
    options: GitRunOptions = {},
  ): Promise<GitRunResult> {
    try {
      for (const value of values) assertSafeValue(value, 'git argument');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const argv = values.length > 0 ? [...fixed, '--', ...values] : [...fixed];
    const auth = options.auth ?? NO_AUTH;
    const redactor = new Redactor([...auth.secrets, ...this.proxySecrets]);
    const env = {
      ...this.baseEnv,
      ...options.env,
      ...auth.env,
      ...configEnv([...RUNNER_CONFIG, ...this.protocolConfig, ...(options.config ?? []), ...auth.config]),
    };
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const maxStderr = this.options.maxStderrBytes ?? DEFAULT_MAX_STDERR;
    const maxStdout = this.options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      // detached: the child leads a new process group, so one kill(-pid) reaches its helpers too.
      const child = spawn(this.gitPath, argv, {
        cwd: options.cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = new CappedBuffer(maxStdout, 'head');
      const err = new CappedBuffer(maxStderr * 2, 'tail');
      let timedOut = false;
      let aborted = false;
      const killGroup = () => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
      const onAbort = () => {
        aborted = true;
        killGroup();
      };
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.once('error', (error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        reject(
          new MegaError('internal', 'git_spawn_failed', 'cannot start git', {
            cause: redactor.redact(String(error)),
          }),
        );
      });
      child.once('close', (exitCode) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        // A helper that outlived git (timeout or abort) must not survive us.
        if (timedOut || aborted) killGroup();
        resolve({
          exitCode,
          stdout: redactor.redact(out.text()),
          stderr: truncateText(redactor.redact(err.text()), maxStderr, 'tail'),
          timedOut,
          aborted,
          durationMs: performance.now() - started,
        });
      });
    });
  }

  /** Removes the private HOME; the runner must not be used afterwards. */
  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }

  /** Like `run`, but a non-zero exit, a timeout or an abort throws a classified `GitCommandError`. */
  async runChecked(
    fixed: readonly string[],
    values: readonly string[],
    options: GitRunOptions = {},
  ): Promise<GitRunResult> {
    const result = await this.run(fixed, values, options);
    if (result.exitCode === 0 && !result.timedOut && !result.aborted) return result;
    throw commandError(fixed[0] ?? 'git', result);
  }
}

export function commandError(subcommand: string, result: GitRunResult): GitCommandError {
  const errorClass = classifyGitFailure(result.stderr, { timedOut: result.timedOut });
  const lastLine =
    result.stderr
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .pop() ?? '';
  const reason = result.timedOut
    ? 'timed out'
    : result.aborted
      ? 'was cancelled'
      : `failed (exit ${result.exitCode ?? 'signal'})`;
  return new GitCommandError(
    errorClass,
    `git ${subcommand} ${reason}${lastLine ? `: ${lastLine}` : ''}`,
    result.stderr,
    result.exitCode,
  );
}

/**
 * Transports git may use (git-config(1) protocol.allow): the network ones always, every other
 * (ext::, fd::, unknown helpers) never; `file` only when enabled and then only as "user", which
 * git denies to submodules — a cloned repository cannot make the worker read its own disk.
 */
function protocolPolicy(allowFile: boolean): ReadonlyArray<readonly [string, string]> {
  return [
    ['protocol.allow', 'never'],
    ...ALLOWED_NETWORK_PROTOCOLS.map((name) => [`protocol.${name}.allow`, 'always'] as const),
    ['protocol.file.allow', allowFile ? 'user' : 'never'],
  ];
}

/** git-config(1) ENVIRONMENT: GIT_CONFIG_COUNT / GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>. */
function configEnv(entries: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

/** Collects a stream keeping at most `cap` bytes at one end, counting what it dropped. */
class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly cap: number,
    private readonly keep: 'head' | 'tail',
  ) {}

  push(chunk: Buffer): void {
    if (this.keep === 'head') {
      if (this.size >= this.cap) return;
      const part = chunk.subarray(0, this.cap - this.size);
      this.chunks.push(part);
      this.size += part.length;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.cap && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The password of a URL such as `http://user:secret@proxy:3128`; none otherwise. */
function urlCredentials(value: string): string[] {
  try {
    const password = new URL(value).password;
    return password === '' ? [] : [decodeURIComponent(password)];
  } catch {
    return [];
  }
}
