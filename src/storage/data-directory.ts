import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MegaError } from '../platform/errors.js';

/** What each errno means for a data directory, in the words an operator acts on (man 2 open). */
const CAUSES: Readonly<Record<string, string>> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a parent directory does not exist',
  ENOTDIR: 'a component of the path is not a directory',
  EEXIST: 'a file of that name is in the way',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

function causeOf(error: unknown): { code: string; text: string } {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
  return { code, text: CAUSES[code] ?? (error instanceof Error ? error.message : String(error)) };
}

/**
 * The error of creating the first missing directory of `path`: a recursive mkdir reports ENOENT
 * for any failure below an existing parent (a read-only mount included), which hides the cause.
 */
async function firstMissingDirectoryError(path: string, fallback: unknown): Promise<unknown> {
  let missing = path;
  for (let parent = dirname(missing); parent !== missing; missing = parent, parent = dirname(parent)) {
    if (
      await stat(parent).then(
        () => true,
        () => false,
      )
    )
      break;
  }
  return mkdir(missing).then(
    () => fallback,
    (error: unknown) => error,
  );
}

/**
 * Makes sure the data directory exists and can be written, before anything opens files in it.
 * The write of a probe file is the only test that holds for every reason a directory refuses
 * writes (read-only mounts, ACLs, root squash), where permission bits alone say nothing for root.
 * Fails with `data_dir_unusable`, a message naming the path and the cause.
 */
export async function prepareDataDirectory(path: string): Promise<void> {
  const probe = join(path, `.mega-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path, { recursive: true });
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const cause = causeOf(code === 'ENOENT' ? await firstMissingDirectoryError(path, error) : error);
    throw new MegaError(
      'unavailable',
      'data_dir_unusable',
      `data directory ${path} is not usable: ${cause.text} (${cause.code})`,
      {},
      { cause: error },
    );
  }
  await rm(probe, { force: true });
}
