import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { IN_CI } from './services.js';

const run = promisify(execFile);

/** A tmpfs mounted for a test: a file system of a known, small size (or read-only). */
export interface Tmpfs {
  readonly path: string;
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `sizeBytes` at `path` (`mount -t tmpfs`, needs root or CAP_SYS_ADMIN). When
 * mounting is not permitted: throws under CI=true, otherwise warns loudly and returns undefined
 * (callers skip), like `serviceAvailable`.
 */
export async function mountTmpfs(
  path: string,
  sizeBytes: number,
  options: { readOnly?: boolean } = {},
): Promise<Tmpfs | undefined> {
  await mkdir(path, { recursive: true });
  const flags = [`size=${sizeBytes}`, ...(options.readOnly ? ['ro'] : [])].join(',');
  try {
    await run('mount', ['-t', 'tmpfs', '-o', flags, 'tmpfs', path]);
  } catch (error) {
    const message = `cannot mount a tmpfs at ${path}: ${error instanceof Error ? error.message : String(error)}`;
    if (IN_CI) throw new Error(`${message}; CI runs these tests as root`);
    process.stderr.write(`\n*** SKIPPING tmpfs tests: ${message} ***\n\n`);
    return undefined;
  }
  return { path, unmount: () => run('umount', [path]).then(() => undefined) };
}

/** Whether this process may mount file systems: probed once, with a throw-away mount. */
export async function canMountTmpfs(probeDir: string): Promise<boolean> {
  const mounted = await mountTmpfs(probeDir, 1024 * 1024);
  if (!mounted) return false;
  await mounted.unmount();
  return true;
}
