import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CopyLayout } from './copy-paths.js';
import { parseCopyName } from './copy-paths.js';

/**
 * Seed §6: copies older than GIT_REPO_KEEP_DAYS are removed by the timestamp in their directory
 * name; the newest copy of each repository is always kept (failed attempts remove their copy at
 * once, so the newest remaining copy is the newest successful one). A worker touches only its own
 * copies (its id is in the name) and skips repositories it is syncing right now.
 */
const ID_DIR = /^[1-9]\d{0,15}$/;
const SECONDS_PER_DAY = 86_400;

export interface CleanupOptions {
  readonly layout: CopyLayout;
  readonly workerId: string;
  readonly keepDays: number;
  readonly now?: Date;
  /** `tenant/repo` keys being synced now. */
  readonly busy?: ReadonlySet<string>;
}

export async function cleanupOldCopies(options: CleanupOptions): Promise<string[]> {
  const cutoff =
    Math.floor((options.now ?? new Date()).getTime() / 1000) - options.keepDays * SECONDS_PER_DAY;
  const removed: string[] = [];
  for (const tenant of await idDirs(options.layout.baseDir)) {
    for (const repo of await idDirs(join(options.layout.baseDir, tenant))) {
      if (options.busy?.has(`${tenant}/${repo}`)) continue;
      const repoDir = join(options.layout.baseDir, tenant, repo);
      const mine = (await readdir(repoDir))
        .map((name) => ({ name, parsed: parseCopyName(name) }))
        .filter((entry) => entry.parsed?.workerId === options.workerId)
        .sort((a, b) => (b.parsed?.unixTs ?? 0) - (a.parsed?.unixTs ?? 0) || b.name.localeCompare(a.name));
      for (const entry of mine.slice(1)) {
        if ((entry.parsed?.unixTs ?? Infinity) >= cutoff) continue;
        await rm(join(repoDir, entry.name), { recursive: true, force: true });
        removed.push(join(repoDir, entry.name));
      }
    }
  }
  return removed;
}

/** A `delete` message: every copy this worker has of the repository, and its cache. */
export async function removeRepositoryCopies(
  layout: CopyLayout,
  workerId: string,
  tenantId: number,
  repositoryId: number,
): Promise<number> {
  const repoDir = layout.repoDir(tenantId, repositoryId);
  let removed = 0;
  for (const name of await readdir(repoDir).catch(ignoreMissing)) {
    if (parseCopyName(name)?.workerId !== workerId) continue;
    await rm(join(repoDir, name), { recursive: true, force: true });
    removed += 1;
  }
  await rm(layout.cacheDir(workerId, tenantId, repositoryId), { recursive: true, force: true });
  // Left in place while another worker sharing this disk still has copies in it.
  await rmdir(repoDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
  return removed;
}

/**
 * What a worker has on disk: each of its copies (every repository, every age) and its cache. Other
 * workers' copies in the same base directory are not its own and are left out.
 */
export async function workerFootprint(layout: CopyLayout, workerId: string): Promise<string[]> {
  const paths: string[] = [];
  for (const tenant of await idDirs(layout.baseDir)) {
    for (const repo of await idDirs(join(layout.baseDir, tenant))) {
      const repoDir = join(layout.baseDir, tenant, repo);
      for (const name of await readdir(repoDir).catch(ignoreMissing))
        if (parseCopyName(name)?.workerId === workerId) paths.push(join(repoDir, name));
    }
  }
  paths.push(layout.workerCacheDir(workerId));
  return paths;
}

async function idDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(ignoreMissing);
  return entries
    .filter((entry) => typeof entry !== 'string' && entry.isDirectory() && ID_DIR.test(entry.name))
    .map((entry) => (entry as { name: string }).name);
}

function ignoreMissing(error: NodeJS.ErrnoException): never[] {
  if (error.code === 'ENOENT') return [];
  throw error;
}
