import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes directory trees occupy together, the roots included (allocated blocks, like `du`), counting a hard-linked file
 * once over all of them: copies share pack files with the worker's cache through hard links.
 * A tree or entry that vanishes during the walk (cleanup, a failed attempt) counts nothing.
 */
export async function diskUsage(roots: string | readonly string[]): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path).catch(vanished(() => null));
    if (stats === null) return;
    if (stats.nlink > 1 && !stats.isDirectory()) {
      const key = `${stats.dev}:${stats.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += stats.blocks * 512;
    if (!stats.isDirectory()) return;
    const entries = await readdir(path).catch(vanished(() => []));
    await Promise.all(entries.map((name) => visit(join(path, name))));
  };
  // One tree at a time keeps the number of open directories bounded by one tree's fan-out.
  for (const root of typeof roots === 'string' ? [roots] : roots) await visit(root);
  return total;
}

/** A catch handler giving `value()` for a path that no longer exists, rethrowing anything else. */
function vanished<T>(value: () => T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return value();
    throw error;
  };
}
