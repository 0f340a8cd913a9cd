import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trimCHeap } from './c-heap-trim.js';

/** Whether this process runs on glibc (Node's report names the C library it was started with). */
function onGlibc(): boolean {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return process.platform === 'linux' && report.header?.glibcVersionRuntime !== undefined;
}

// What a trim gives back is measured where it is deterministic: SQLite's page cache
// (`storage/sqlite-memory-release.test.ts`).
describe('trimCHeap', () => {
  it.runIf(onGlibc())('trims through glibc, call after call', () => {
    expect(trimCHeap()).toBe(true);
    expect(trimCHeap()).toBe(true);
    // The loader's connection maps glibc once; the process keeps running normally.
    expect(readFileSync('/proc/self/maps', 'utf8')).toMatch(/libc\.so\.6/);
  });

  it('never throws', () => {
    expect(() => trimCHeap()).not.toThrow();
  });
});
