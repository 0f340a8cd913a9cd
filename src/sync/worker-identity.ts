import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { conflict } from '../platform/errors.js';
import { assertWorkerId, newWorkerId } from './copy-paths.js';

/**
 * Which worker id this process runs under (issue 17: every process has its own). A worker id
 * names copies, the cache and per-request results, so two processes must never share one: they
 * would write the same cache concurrently and each would take the other's results for its own.
 *
 * Ids are kept in numbered slots of the data directory: `sync-worker-id` (slot 0, as before),
 * then `sync-worker-id.1`, `.2`, … A process takes the first slot whose id no live process holds,
 * so a restarted worker gets its old id back (and keeps copies, cache and results), while a second
 * process on the same data directory (another `mega worker`, or `mega serve`'s worker) gets a
 * distinct id of its own. An id set by configuration (`MEGA_WORKER_ID`) is the operator's
 * choice: if another process holds it, the worker refuses to start.
 *
 * A held id is a lock file `{id}.lock` in the data directory and in the copies base directory
 * (so a `GIT_REPO_BASE_DIR` shared by several data directories is covered too), holding the pid
 * and host and touched every HEARTBEAT_MS. A lock is stale when its process is gone (same host)
 * or it was not touched for STALE_MS (another host or container sharing the directory).
 */
export interface WorkerIdentity {
  readonly workerId: string;
  release(): Promise<void>;
}

export interface ClaimOptions {
  readonly dataDir: string;
  readonly baseDir: string;
  /** `sync.workerId` from configuration: used as is, refused when in use. */
  readonly configured?: string;
}

const ID_FILE = 'sync-worker-id';
const DATA_LOCK_DIR = 'sync-workers';
const BASE_LOCK_DIR = '.workers';
const HEARTBEAT_MS = 15_000;
const STALE_MS = 4 * HEARTBEAT_MS;
/** A claim in progress is a few file operations; an older guard was left by a crash. */
const GUARD_STALE_MS = 10_000;
/** More worker processes than this on one data directory is a mistake, not a deployment. */
const MAX_SLOTS = 64;

interface LockHolder {
  readonly pid: number;
  readonly host: string;
}

/** Lock files this process holds: its own pid in a lock is live only if listed here. */
const heldHere = new Set<string>();

export async function claimWorkerId(options: ClaimOptions): Promise<WorkerIdentity> {
  const dirs = [join(options.dataDir, DATA_LOCK_DIR), join(options.baseDir, BASE_LOCK_DIR)];
  if (options.configured !== undefined) {
    const workerId = assertWorkerId(options.configured);
    const claimed = await claimLocks(dirs, workerId);
    if ('holder' in claimed)
      throw conflict(
        'worker_id_in_use',
        `worker id ${workerId} is in use by process ${claimed.holder.pid} on ${claimed.holder.host}; ` +
          'give each worker process its own MEGA_WORKER_ID, or leave it unset',
      );
    return claimed;
  }
  for (let slot = 0; slot < MAX_SLOTS; slot += 1) {
    const claimed = await claimLocks(dirs, slotWorkerId(options.dataDir, slot));
    if (!('holder' in claimed)) return claimed;
  }
  throw conflict('worker_id_in_use', `all ${MAX_SLOTS} worker ids of ${options.dataDir} are in use`);
}

/** The persisted id of a slot, generated the first time the slot is used. */
export function slotWorkerId(dataDir: string, slot: number): string {
  const path = join(dataDir, slot === 0 ? ID_FILE : `${ID_FILE}.${slot}`);
  if (existsSync(path)) return assertWorkerId(readFileSync(path, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const id = newWorkerId();
  writeFileSync(path, `${id}\n`, { mode: 0o644 });
  return id;
}

/** Takes the id's lock in every directory, or none of them (then says who holds it). */
async function claimLocks(
  dirs: readonly string[],
  workerId: string,
): Promise<WorkerIdentity | { holder: LockHolder }> {
  const paths = [...new Set(dirs.map((dir) => join(dir, `${workerId}.lock`)))];
  const taken: string[] = [];
  for (const path of paths) {
    const holder = await tryLock(path);
    if (holder) {
      for (const done of taken) await unlock(done);
      return { holder };
    }
    taken.push(path);
  }
  const timer = setInterval(() => {
    const now = new Date();
    for (const path of taken) void utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  let released = false;
  return {
    workerId,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      for (const path of taken) await unlock(path);
    },
  };
}

/** Undefined when this process now holds the lock, else its live holder. */
async function tryLock(path: string): Promise<LockHolder | undefined> {
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`;
  await mkdir(dirname(path), { recursive: true });
  try {
    const handle = await open(path, 'wx', 0o644);
    await handle.writeFile(mine);
    await handle.close();
    heldHere.add(path);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Taking over a stale lock is guarded, so two processes that both find it stale cannot both
  // take it: the second re-reads it under the guard and finds the first one's live lock.
  const guard = `${path}.guard`;
  if (!(await takeGuard(guard))) return (await readHolder(path)) ?? { pid: 0, host: 'unknown' };
  try {
    const holder = await readHolder(path);
    if (holder && (await isLive(path, holder))) return holder;
    await writeFile(path, mine, { mode: 0o644 });
    heldHere.add(path);
    return undefined;
  } finally {
    await rm(guard, { force: true });
  }
}

async function takeGuard(guard: string): Promise<boolean> {
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      await (await open(guard, 'wx')).close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(guard).then(
        (stats) => Date.now() - stats.mtimeMs,
        () => Infinity,
      );
      if (age < GUARD_STALE_MS) return false;
      await rm(guard, { force: true });
    }
  }
  return false;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string')
      return { pid: parsed.pid, host: parsed.host };
  } catch {
    // A torn or foreign file holds nothing.
  }
  return undefined;
}

async function isLive(path: string, holder: LockHolder): Promise<boolean> {
  const age = await stat(path).then(
    (stats) => Date.now() - stats.mtimeMs,
    () => Infinity,
  );
  if (age > STALE_MS) return false;
  if (holder.host !== hostname()) return true;
  // Our own pid in a lock we do not hold is a previous process that had the same pid (a restarted
  // container is pid 1 again).
  if (holder.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function unlock(path: string): Promise<void> {
  heldHere.delete(path);
  const holder = await readHolder(path);
  if (holder?.pid === process.pid && holder.host === hostname()) await unlink(path).catch(() => undefined);
}
