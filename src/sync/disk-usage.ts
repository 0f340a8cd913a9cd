import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes directory trees occupy together (allocated blocks, like `du`), counting a hard-linked file
 * once over all of them: copies share pack files with the worker's cache through hard links.
 * A tree or entry that vanishes during the walk (cleanup, a failed attempt) counts nothing.
 */
export async function diskUsage(roots: string | readonly string[]): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(vanished(() => []));
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(dir, entry.name);
        const stats = await lstat(path).catch(vanished(() => null));
        if (stats === null) return;
        if (stats.nlink > 1) {
          const key = `${stats.dev}:${stats.ino}`;
          if (seen.has(key)) return;
          seen.add(key);
        }
        total += stats.blocks * 512;
        if (stats.isDirectory()) await walk(path);
      }),
    );
  };
  // One tree at a time keeps the number of open directories bounded by one tree's fan-out.
  for (const root of typeof roots === 'string' ? [roots] : roots) await walk(root);
  return total;
}

/** A catch handler giving `value()` for a path that no longer exists, rethrowing anything else. */
function vanished<T>(value: () => T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return value();
    throw error;
  };
}
