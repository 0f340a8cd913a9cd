import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseSqliteMemory } from './sqlite-memory-release.js';

/**
 * A fresh process (the test runner's own C heap is shaped by everything it ran before) fills a
 * page cache of ~2,000 pages of 4 KiB, releases it and trims the C heap as the idle server does,
 * and prints how much RSS that gave back.
 */
const MEASURE = `
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { releaseSqliteMemory } from ${JSON.stringify(new URL('./sqlite-memory-release.ts', import.meta.url).href)};
import { trimCHeap } from ${JSON.stringify(new URL('./c-heap-trim.ts', import.meta.url).href)};
const path = process.argv.at(-1);
const writer = new BetterSqlite3(path);
writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
writer.exec('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT i, zeroblob(3000) FROM n');
writer.close();
const connection = new BetterSqlite3(path);
connection.pragma('cache_size = -65536');
// Pages read 10 at a time, each batch followed by a buffer kept alive: the cached pages lie
// between live chunks, as an ingest leaves them, not at the heap's top that free() trims anyway.
const read = connection.prepare('SELECT length(body) FROM t WHERE id BETWEEN ? AND ?').pluck();
const kept = [];
for (let id = 1; id <= 2000; id += 10) {
  read.all(id, id + 9);
  kept.push(Buffer.alloc(4096, 1));
}
// The page tables' count (smaps_rollup), not the kernel's lazily summed RSS counters.
const rss = () => Number(/^Rss:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) * 1024;
const before = rss();
releaseSqliteMemory(connection);
trimCHeap();
console.log(before - rss(), connection.prepare('SELECT count(*) FROM t').pluck().get(), kept.length);
`;

describe('releaseSqliteMemory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function databasePath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mega-sqlite-release-'));
    dirs.push(dir);
    return join(dir, 'cache.db');
  }

  it.runIf(process.platform === 'linux')('gives the page cache back to the system', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', MEASURE, databasePath()],
      {
        encoding: 'utf8',
        // The server's glibc settings (bin/mega.js).
        env: { ...process.env, MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' },
      },
    );
    expect(run.stderr).toBe('');
    const [released, rows] = run.stdout.trim().split(' ').map(Number);
    // 8 MB of pages cached; most of them must leave the process, and the rows stay readable.
    expect(released).toBeGreaterThan(4 * 1024 * 1024);
    expect(rows).toBe(2000);
  });

  it('keeps a transaction in flight and does nothing on a closed connection', () => {
    const connection = new BetterSqlite3(databasePath());
    connection.exec('CREATE TABLE t (body BLOB)');
    connection.exec("BEGIN; INSERT INTO t (body) VALUES (x'00')");
    releaseSqliteMemory(connection);
    expect(connection.inTransaction).toBe(true);
    connection.exec('COMMIT');
    connection.close();
    expect(() => releaseSqliteMemory(connection)).not.toThrow();
  });
});
