import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { trimCHeap } from './c-heap-trim.js';

/**
 * A fresh process (the test runner's own C heap is shaped by everything it ran before) fills its
 * C heap with 32 KiB buffers, each followed by a small one it keeps, so the freed ones lie between
 * live chunks where glibc's `free` keeps them; then it trims and prints how much RSS that gave
 * back.
 */
const MEASURE = `
import { readFileSync } from 'node:fs';
import { trimCHeap } from ${JSON.stringify(new URL('./c-heap-trim.ts', import.meta.url).href)};
let dropped = [];
const kept = [];
for (let i = 0; i < 1000; i++) {
  dropped.push(Buffer.allocUnsafeSlow(32 * 1024).fill(1));
  kept.push(Buffer.allocUnsafeSlow(64).fill(1));
}
dropped = [];
// V8 frees dead buffers' memory on a background thread after the collection: wait until it has.
for (let tries = 0; tries < 100 && process.memoryUsage().arrayBuffers > 8 * 1024 * 1024; tries++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
// The page tables' count (smaps_rollup), not the kernel's lazily summed RSS counters.
const rss = () => Number(/^Rss:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) * 1024;
const before = rss();
trimCHeap();
trimCHeap();
console.log(before - rss(), kept.length);
`;

describe('trimCHeap', () => {
  it.runIf(process.platform === 'linux')('gives the C heap free pages back to the system', () => {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', MEASURE],
      // The server's glibc settings (bin/mega.js).
      { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' } },
    );
    expect(run.stderr).toBe('');
    const [released, kept] = run.stdout.trim().split(' ').map(Number);
    // 32 MB freed between live chunks; most of it must leave the process.
    expect(released).toBeGreaterThan(16 * 1024 * 1024);
    expect(kept).toBe(1000);
  });

  it('can be called again and again', () => {
    expect(() => {
      trimCHeap();
      trimCHeap();
    }).not.toThrow();
  });
});
