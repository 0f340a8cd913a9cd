import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { runMega, startMegaServer } from '../support/mega-process.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const probe = await makeTempDir('mega-tmpfs-probe-');
const MOUNTABLE = await canMountTmpfs(join(probe.path, 'mnt'));
await probe.remove();
const DIALECTS = [
  ['sqlite', true],
  ['postgres', await serviceAvailable('postgres')],
] as const;

/** A start-up refusal: non-zero exit, one line on stderr, no stack trace. */
function expectOneLine(result: { code: number; stdout: string; stderr: string }, line: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/listening/);
}

/**
 * `mega serve` on a data directory it cannot use (missing under a file, read-only mount) says so
 * in one line naming the path and the cause. Permission bits would not do: tests run as root,
 * which writes through them, so a read-only tmpfs stands for the read-only disk.
 */
for (const [dialect, available] of DIALECTS) {
  describe.skipIf(!available)(`data directory at start-up [${dialect}]`, () => {
    let temp: Awaited<ReturnType<typeof makeTempDir>>;
    let scratch: ScratchDatabase | undefined;
    let readOnly: Tmpfs | undefined;
    const env: Record<string, string> = {};

    beforeAll(async () => {
      temp = await makeTempDir('mega-data-dir-');
      if (dialect === 'postgres') {
        scratch = await createScratchDatabase('postgres', { migrate: false });
        env.MEGA_DATABASE_URL = scratch.url;
      }
      if (MOUNTABLE) readOnly = await mountTmpfs(join(temp.path, 'ro'), 1024 * 1024, { readOnly: true });
    });
    afterAll(async () => {
      await readOnly?.unmount();
      await scratch?.drop();
      await temp?.remove();
    });

    it('a path under a regular file: the path and ENOTDIR, no stack trace', async () => {
      const file = join(temp.path, 'a-file');
      await writeFile(file, 'not a directory\n');
      const data = join(file, 'data');
      const result = await runMega(['serve', '--port', '0', '--data', data], { env });
      expectOneLine(
        result,
        new RegExp(
          `^mega: data directory ${data} is not usable: a component of the path is not a directory \\(ENOTDIR\\)$`,
        ),
      );
    });

    it.skipIf(!MOUNTABLE)(
      'a read-only file system, as the directory or above a missing one: EROFS',
      async () => {
        for (const data of [readOnly!.path, join(readOnly!.path, 'missing', 'data')]) {
          const result = await runMega(['serve', '--port', '0', '--data', data], { env });
          expectOneLine(
            result,
            new RegExp(`^mega: data directory ${data} is not usable: read-only file system \\(EROFS\\)$`),
          );
        }
        const worker = await runMega(['worker', '--data', readOnly!.path], { env });
        expectOneLine(worker, /^mega: data directory .* is not usable: read-only file system \(EROFS\)$/);
      },
    );

    it('removes the parts of packs a crashed server left in the pack cache when it starts', async () => {
      const data = join(temp.path, 'data-with-leftovers');
      const packs = join(data, 'cache', 'packs');
      await mkdir(packs, { recursive: true });
      const kept = `${'a'.repeat(64)}.pack`;
      await writeFile(join(packs, kept), 'PACK');
      await writeFile(join(packs, `${'b'.repeat(64)}.0123456789ab.tmp`), 'half a pack');
      const server = await startMegaServer({ dataDir: data, args: ['--no-worker'], env });
      try {
        expect(await readdir(packs)).toEqual([kept]);
      } finally {
        await server.stop();
      }
    });
  });
}

describe('database out of reach at start-up', () => {
  it.each([['postgres://postgres@127.0.0.1:1/mega'], ['mysql://root@127.0.0.1:1/mega']])(
    '%s: one line saying the database is unavailable',
    async (url) => {
      const temp = await makeTempDir('mega-no-db-');
      try {
        const result = await runMega(['serve', '--port', '0', '--data', join(temp.path, 'data')], {
          env: { MEGA_DATABASE_URL: url },
        });
        expectOneLine(result, /^mega: the database is unavailable \(ECONNREFUSED\); try again later/);
      } finally {
        await temp.remove();
      }
    },
  );
});

describe('a port in use at start-up', () => {
  it('one line naming the address and the cause, and the process ends', async () => {
    const temp = await makeTempDir('mega-port-');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      // A configured secret key: the warning about generating one stays out of stderr.
      const result = await runMega(['serve', '--port', String(port), '--data', join(temp.path, 'data')], {
        env: { MEGA_SECRET_KEY: randomBytes(32).toString('hex') },
      });
      expectOneLine(
        result,
        new RegExp(
          `^mega: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use \\(EADDRINUSE\\)$`,
        ),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await temp.remove();
    }
  });
});
