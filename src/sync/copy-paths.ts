import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { invalid } from '../platform/errors.js';

/**
 * The on-disk layout of seed §2:
 *   {GIT_REPO_BASE_DIR}/{tenant_id}/{repo_id}/{worker_id}_{unix_ts}_{random6}/
 * plus each worker's object cache at {GIT_REPO_BASE_DIR}/.cache/{worker_id}/{tenant_id}/{repo_id}.git.
 * Every id is validated before it becomes a path segment, and every path is checked to stay under
 * the base directory, so no value can escape its tenant.
 */
export const DIR_MODE = 0o755;
const WORKER_ID = /^worker-[A-Za-z0-9.-]{1,64}-[0-9a-f]{8}$/;
const COPY_NAME = /^(worker-[A-Za-z0-9.-]{1,64}-[0-9a-f]{8})_(\d{1,12})_([a-z0-9]{6})$/;
const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `worker-{hostname}-{first 8 of a uuid}`; the hostname is reduced to safe characters. */
export function newWorkerId(host = hostname()): string {
  const safeHost =
    host
      .replace(/[^A-Za-z0-9.-]/g, '-')
      .replace(/^\.+/, '')
      .slice(0, 64) || 'host';
  return `worker-${safeHost}-${randomUUID().slice(0, 8)}`;
}

export function assertWorkerId(workerId: string): string {
  if (!WORKER_ID.test(workerId))
    throw invalid('worker_id_invalid', 'worker id must look like worker-{host}-{8 hex}');
  return workerId;
}

/** A database id used as a path segment: a positive safe integer, nothing else. */
export function assertPathId(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw invalid('path_id_invalid', `${what} must be a positive integer`);
  return String(value);
}

export function random6(): string {
  const bytes = randomBytes(6);
  return [...bytes].map((byte) => RANDOM_ALPHABET[byte % RANDOM_ALPHABET.length]).join('');
}

/** Joins under `base` and refuses any result outside it. */
export function within(base: string, ...segments: string[]): string {
  const root = resolve(base);
  const path = resolve(root, ...segments);
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || rel.includes(`..${sep}`)) {
    throw invalid('path_escape', 'path escapes the repository base directory');
  }
  return path;
}

export class CopyLayout {
  constructor(readonly baseDir: string) {}

  repoDir(tenantId: number, repoId: number): string {
    return within(this.baseDir, assertPathId(tenantId, 'tenant id'), assertPathId(repoId, 'repository id'));
  }

  newCopyDir(tenantId: number, repoId: number, workerId: string, now = new Date()): string {
    const name = `${assertWorkerId(workerId)}_${Math.floor(now.getTime() / 1000)}_${random6()}`;
    return join(this.repoDir(tenantId, repoId), name);
  }

  cacheDir(workerId: string, tenantId: number, repoId: number): string {
    return within(
      this.baseDir,
      '.cache',
      assertWorkerId(workerId),
      assertPathId(tenantId, 'tenant id'),
      `${assertPathId(repoId, 'repository id')}.git`,
    );
  }

  /** Every cache of one worker. */
  workerCacheDir(workerId: string): string {
    return within(this.baseDir, '.cache', assertWorkerId(workerId));
  }

  /** Every cache of a repository on this disk, whatever worker made it. */
  cacheRoot(): string {
    return within(this.baseDir, '.cache');
  }
}

export interface CopyName {
  readonly workerId: string;
  readonly unixTs: number;
  readonly random: string;
}

/** Parses a copy directory name; null for anything that is not one (never deleted by cleanup). */
export function parseCopyName(name: string): CopyName | null {
  const match = COPY_NAME.exec(name);
  if (!match) return null;
  return { workerId: match[1] as string, unixTs: Number(match[2]), random: match[3] as string };
}
