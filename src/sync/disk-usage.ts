import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes a directory tree occupies (allocated blocks, like `du`), counting a hard-linked file once
 * per tree: copies share pack files with the worker's cache through hard links.
 */
export async function diskUsage(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(dir, entry.name);
        const stats = await lstat(path);
        if (stats.nlink > 1) {
          const key = `${stats.dev}:${stats.ino}`;
          if (seen.has(key)) return;
          seen.add(key);
        }
        total += stats.blocks * 512;
        if (entry.isDirectory()) await walk(path);
      }),
    );
  };
  await walk(root);
  return total;
}
