import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await makeTempDir('mega-migrate-cli-');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await dir.remove();
});

async function mega(...args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const code = await main(['node', 'mega', ...args]);
  vi.restoreAllMocks();
  return { code, out: chunks.join('') };
}

it('mega migrate creates the SQLite database in the data dir, then reports it up to date', async () => {
  const first = await mega('migrate', '--data', dir.path);
  expect(first.code).toBe(0);
  expect(first.out).toContain('applied 0001-core');
  expect(existsSync(join(dir.path, 'mega.db'))).toBe(true);
  const second = await mega('migrate', '--data', dir.path);
  expect(second.out).toContain('is up to date');
  const status = await mega('migrate', '--data', dir.path, '--status');
  expect(status.out).toMatch(/^applied {2}0001-core$/m);
});
