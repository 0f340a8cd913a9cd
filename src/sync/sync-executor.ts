import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CopyLayout } from './copy-paths.js';
import { DIR_MODE, random6 } from './copy-paths.js';
import { diskUsage } from './disk-usage.js';
import type { PreparedAuth } from './git-auth.js';
import { NO_AUTH } from './git-auth.js';
import type { GitRunOptions, GitRunner } from './git-runner.js';
import { commandError } from './git-runner.js';
import type { SyncSpec } from './sync-spec.js';

/**
 * One sync attempt of one repository on one worker (seed §3, §7.2, §11):
 * 1. fetch incrementally into the worker's bare cache (`+` refspecs: a force-push upstream moves
 *    the cache ref too; `--prune` drops deleted branches);
 * 2. clone the cache into a NEW copy directory — a local clone hard-links the cache's packs, so an
 *    unchanged repository costs a few small processes, and copies do not depend on the cache;
 * 3. point the copy's origin at the real URL (no secret: it is never in URLs), then LFS and
 *    submodules when enabled, and the optional mirror push into the server's /import.
 * A partial filter bypasses the cache (a promisor cache cannot serve the copy's lazy fetches).
 */
export interface SyncOutcome {
  readonly localPath: string;
  readonly fromCommit: string | null;
  readonly toCommit: string;
  readonly bytesOnDisk: number;
}

export interface MirrorTarget {
  readonly serverUrl: string;
  readonly auth: PreparedAuth;
}

export interface ExecutorDeps {
  readonly runner: GitRunner;
  readonly layout: CopyLayout;
  readonly workerId: string;
  /** Appends a redacted transcript line (commands and their output) for the log row. */
  readonly transcript: (text: string) => void;
}

export class SyncExecutor {
  constructor(private readonly deps: ExecutorDeps) {}

  async run(
    spec: SyncSpec,
    auth: PreparedAuth,
    options: { signal?: AbortSignal; mirror?: MirrorTarget; copyDir: string },
  ): Promise<SyncOutcome> {
    const primary = spec.branches[0] as string;
    const copyDir = options.copyDir;
    await mkdir(dirname(copyDir), { recursive: true, mode: DIR_MODE });
    let fromCommit: string | null = null;
    let toCommit: string | null = null;
    if (spec.filter !== null) {
      await this.git(
        ['clone', '--quiet', `--filter=${spec.filter}`, ...depthArgs(spec), '--no-tags', '--branch', primary],
        [spec.url, copyDir],
        { auth, signal: options.signal },
      );
    } else {
      const cache = this.deps.layout.cacheDir(this.deps.workerId, spec.tenantId, spec.repositoryId);
      if (!(await exists(cache)) && spec.branches.length === 1) {
        // First sync of one branch: clone straight into the copy (exactly a plain clone), then
        // derive the cache from it by hard links.
        await this.git(
          ['clone', '--quiet', '--single-branch', ...depthArgs(spec), '--branch', primary],
          [spec.url, copyDir],
          {
            auth,
            signal: options.signal,
          },
        );
        await this.stageCache(
          cache,
          ['clone', '--quiet', '--bare', '--local'],
          copyDir,
          NO_AUTH,
          options.signal,
          WORKER_LOCAL_TRANSPORT,
        );
      } else {
        const created = await this.createCacheIfMissing(cache, spec, auth, options.signal);
        if (!created || spec.branches.length > 1) {
          fromCommit = created ? null : await readBranch(cache, primary);
          await this.fetchIntoCache(cache, spec, auth, options.signal);
        }
        await this.git(['clone', '--quiet', '--local', '--branch', primary], [cache, copyDir], {
          signal: options.signal,
          config: WORKER_LOCAL_TRANSPORT,
        });
        await this.git(['-C', copyDir, 'remote', 'set-url'], ['origin', spec.url], {
          signal: options.signal,
        });
      }
      toCommit = await readBranch(cache, primary);
      if (options.mirror && spec.mirrorTo !== null) {
        await this.pushMirror(cache, spec.mirrorTo, options.mirror, options.signal);
      }
    }
    await chmod(copyDir, DIR_MODE);
    if (spec.lfs) {
      await this.git(['-C', copyDir, 'lfs', 'install', '--local'], [], { signal: options.signal });
      await this.git(['-C', copyDir, 'lfs', 'pull'], [], { auth, signal: options.signal });
    }
    if (spec.submodules) {
      await this.git(
        ['-C', copyDir, 'submodule', 'update', '--init', '--recursive', ...depthArgs(spec)],
        [],
        { auth, signal: options.signal },
      );
    }
    // LFS and submodules do not move HEAD: only the direct (filtered) clone needs asking.
    toCommit ??= (
      await this.git(['-C', copyDir, 'rev-parse', '--verify', 'HEAD^{commit}'], [], {
        signal: options.signal,
      })
    ).trim();
    return { localPath: copyDir, fromCommit, toCommit, bytesOnDisk: await diskUsage(copyDir) };
  }

  /**
   * First use: a bare clone (a clone checks the received pack as self-contained and skips fetch's
   * connectivity walk over the whole history). Cloned under a temporary name and renamed, so a
   * killed first sync never leaves a broken cache. True when it was created now (so is current).
   */
  private async createCacheIfMissing(
    cache: string,
    spec: SyncSpec,
    auth: PreparedAuth,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (await exists(cache)) return false;
    const args = [
      'clone',
      '--quiet',
      '--bare',
      '--single-branch',
      ...depthArgs(spec),
      '--branch',
      spec.branches[0] as string,
    ];
    await this.stageCache(cache, args, spec.url, auth, signal);
    return true;
  }

  /** Runs a bare clone of `source` into a temporary name next to `cache`, then renames it. */
  private async stageCache(
    cache: string,
    args: string[],
    source: string,
    auth: PreparedAuth,
    signal?: AbortSignal,
    config?: GitRunOptions['config'],
  ): Promise<void> {
    await mkdir(dirname(cache), { recursive: true, mode: DIR_MODE });
    const staging = `${cache}.tmp-${random6()}`;
    try {
      await this.git(args, [source, staging], { auth, signal, config });
      await rename(staging, cache);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Incremental fetch of every configured branch (and tags unless shallow), force-updating. */
  private async fetchIntoCache(
    cache: string,
    spec: SyncSpec,
    auth: PreparedAuth,
    signal?: AbortSignal,
  ): Promise<void> {
    const refspecs = spec.branches.map((branch) => `+refs/heads/${branch}:refs/heads/${branch}`);
    if (spec.depth === null) refspecs.push('+refs/tags/*:refs/tags/*');
    await this.git(
      ['-C', cache, 'fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', ...depthArgs(spec)],
      [spec.url, ...refspecs],
      { auth, signal },
    );
  }

  private async pushMirror(
    cache: string,
    mirrorTo: string,
    mirror: MirrorTarget,
    signal?: AbortSignal,
  ): Promise<void> {
    const url = `${mirror.serverUrl.replace(/\/+$/, '')}${mirrorTo}`;
    await this.git(
      ['-C', cache, 'push', '--quiet', '--force', '--prune'],
      [url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'],
      {
        auth: mirror.auth,
        signal,
      },
    );
  }

  /** Runs git, records the command and its (redacted) stderr, throws a classified error on failure. */
  private async git(
    fixed: readonly string[],
    values: readonly string[],
    options: GitRunOptions,
  ): Promise<string> {
    this.deps.transcript(`$ git ${[...fixed, ...(values.length ? ['--', ...values] : [])].join(' ')}\n`);
    const result = await this.deps.runner.run(fixed, values, { ...options, auth: options.auth ?? NO_AUTH });
    if (result.stderr.trim() !== '')
      this.deps.transcript(result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`);
    this.deps.transcript(`# exit ${result.exitCode ?? 'killed'} after ${Math.round(result.durationMs)} ms\n`);
    if (result.exitCode !== 0 || result.timedOut || result.aborted)
      throw commandError(subcommandOf(fixed), result);
    return result.stdout;
  }
}

/**
 * The worker's own clones between its cache and a copy go over git's local transport, which the
 * runner denies by default (remote file:// URLs are opt-in). These clones never recurse into
 * submodules, so allowing it here cannot let a synced repository read the worker's disk.
 */
const WORKER_LOCAL_TRANSPORT: GitRunOptions['config'] = [['protocol.file.allow', 'always']];

function depthArgs(spec: SyncSpec): string[] {
  return spec.depth === null ? [] : [`--depth=${spec.depth}`];
}

function subcommandOf(fixed: readonly string[]): string {
  const args = fixed[0] === '-C' ? fixed.slice(2) : fixed;
  return args[0] === 'lfs' || args[0] === 'submodule'
    ? `${args[0]} ${args[1] ?? ''}`.trim()
    : (args[0] ?? 'git');
}

/** Removes a copy left by a failed attempt. */
export async function removeCopy(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * A branch's commit read from the ref files (gitrepository-layout(5): a loose ref file, else a
 * line of packed-refs), saving a git process per sync; null when the branch does not exist.
 */
export async function readBranch(gitDir: string, branch: string): Promise<string | null> {
  const ref = `refs/heads/${branch}`;
  const loose = await readFile(join(gitDir, ref), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR') return null;
    throw error;
  });
  if (loose !== null) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  for (const line of packed.split('\n')) {
    if (!line.startsWith('#') && !line.startsWith('^') && line.endsWith(` ${ref}`))
      return line.slice(0, line.indexOf(' '));
  }
  return null;
}
