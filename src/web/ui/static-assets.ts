import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/** Content types of what Vite emits. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Files of the built UI (`ui/dist`), read on demand and kept in memory (the bundle is small and
 * immutable while the server runs). A request path can only name a file below the root.
 */
export class StaticAssets {
  private readonly cache = new Map<string, StaticFile | null>();

  constructor(readonly root: string) {}

  /** The file at a URL path below the prefix (`assets/index-abc.js`), or undefined. */
  async get(relativePath: string): Promise<StaticFile | undefined> {
    if (
      relativePath.includes('\0') ||
      relativePath.split('/').some((part) => part === '..' || part === '.')
    ) {
      return undefined;
    }
    const cached = this.cache.get(relativePath);
    if (cached !== undefined) return cached ?? undefined;
    const absolute = resolve(this.root, relativePath);
    if (!absolute.startsWith(this.root + sep)) return undefined;
    const file = await this.load(absolute);
    this.cache.set(relativePath, file ?? null);
    return file;
  }

  private async load(absolute: string): Promise<StaticFile | undefined> {
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!info?.isFile()) return undefined;
    return {
      body: await readFile(absolute),
      contentType: CONTENT_TYPES[extname(absolute)] ?? 'application/octet-stream',
    };
  }
}
