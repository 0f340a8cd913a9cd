import { createHash, randomBytes } from 'node:crypto';
import { rm, stat, statfs, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { authEnv } from './http-fixture.js';
import { commitFile } from '../support/git-fixtures.js';

const MiB = 1024 * 1024;
/** The data directory's whole file system. */
const DISK_BYTES = 64 * MiB;
/** Free space left once the ballast is in place: less than the push needs. */
const LEFT_FREE_BYTES = 3 * MiB;
/** Incompressible content of the big push, so the pack is as big as the file. */
const BIG_FILE_BYTES = 8 * MiB;

const probe = await makeTempDir('mega-tmpfs-probe-');
const MOUNTABLE = await canMountTmpfs(join(probe.path, 'mnt'));
await probe.remove();
const DIALECTS = [
  ['sqlite', true],
  ['postgres', MOUNTABLE && (await serviceAvailable('postgres'))],
] as const;

interface ReadyBody {
  status: string;
  dependencies: Record<string, { status: string; message?: string; details?: Record<string, unknown> }>;
}

async function readyz(server: MegaServer): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

/**
 * A push that runs out of disk: `mega serve` whose data directory is a small tmpfs. git must
 * print the reason (`unpack …` → `[remote rejected] … (unpacker error)`), /readyz must say the
 * storage is failing, and once space is freed the same push must work.
 */
for (const [dialect, available] of DIALECTS) {
  describe.skipIf(!MOUNTABLE || !available)(`disk full during a push [${dialect}]`, () => {
    let temp: Awaited<ReturnType<typeof makeTempDir>>;
    let disk: Tmpfs | undefined;
    let scratch: ScratchDatabase | undefined;
    let server: MegaServer;
    let token: string;
    let work: string;
    const ballast = () => join(disk!.path, 'ballast');

    beforeAll(async () => {
      temp = await makeTempDir('mega-disk-full-');
      disk = await mountTmpfs(join(temp.path, 'mnt'), DISK_BYTES);
      const dataDir = join(disk!.path, 'data');
      const env: Record<string, string> = { MEGA_MIN_FREE_BYTES: String(MiB) };
      if (dialect === 'postgres') {
        scratch = await createScratchDatabase('postgres', { migrate: false });
        env.MEGA_DATABASE_URL = scratch.url;
      }
      const created = await runMega(['token', 'create', 'alice', '--admin', '--data', dataDir], { env });
      expect(created.code, created.stderr).toBe(0);
      token = created.stdout.trim().split('\n').pop() ?? '';
      server = await startMegaServer({ dataDir, args: ['--no-worker'], env });
      work = join(temp.path, 'work');
      await git(['init', '-q', '-b', 'main', work]);
      await commitFile(work, 'README.md', '# small\n', 'small start');
    });
    afterAll(async () => {
      await server?.stop();
      await scratch?.drop();
      await disk?.unmount();
      await temp?.remove();
    });

    // A failed case must not leave the disk full for the next one.
    afterEach(async () => {
      if (disk) await rm(ballast(), { force: true });
    });

    const push = () =>
      git(['push', `${server.url}/import/big`, 'main'], { cwd: work, env: authEnv(token), check: false });

    /** Commits `files` of random bytes, fills the disk to LEFT_FREE_BYTES, pushes, frees it. */
    async function pushOnFullDisk(files: Record<string, number>): Promise<Awaited<ReturnType<typeof push>>> {
      for (const [name, size] of Object.entries(files)) await writeFile(join(work, name), randomBytes(size));
      await git(['add', '-A'], { cwd: work });
      await git(['commit', '-q', '-m', `add ${Object.keys(files).length} files`], { cwd: work });
      await fillDisk();
      return push();
    }

    async function fillDisk(): Promise<void> {
      const free = await statfs(disk!.path);
      try {
        await writeFile(ballast(), Buffer.alloc(free.bavail * free.bsize - LEFT_FREE_BYTES));
      } catch (error) {
        // The server wrote to the disk since statfs (a WAL checkpoint, say): the ballast took the
        // rest, so shrink it to leave the margin.
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        await truncate(ballast(), Math.max(0, (await stat(ballast())).size - LEFT_FREE_BYTES));
      }
    }

    function expectToldStorageFull(refused: Awaited<ReturnType<typeof push>>): void {
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        /remote unpack failed: the server is out of storage space \((ENOSPC|SQLITE_FULL)\)/,
      );
      expect(refused.stderr).toMatch(/\[remote rejected\] main -> main \(unpacker error\)/);
      expect(refused.stderr).not.toMatch(/internal server error|hung up/);
    }

    async function expectWorksOnceFreed(): Promise<void> {
      await rm(ballast());
      const again = await push();
      expect(again.code, again.stderr).toBe(0);
      const listed = await git(['ls-remote', `${server.url}/import/big`, 'refs/heads/main'], { cwd: work });
      const head = await git(['rev-parse', 'HEAD'], { cwd: work });
      expect(listed.stdout.toString()).toContain(head.stdout.toString().trim());
    }

    // Objects are rows (large ones in chunk rows): with SQLite the database file is on the full
    // disk (SQLITE_FULL), and git is told.
    it.runIf(dialect === 'sqlite')(
      'objects (rows in the database file): git is told, /readyz reports it, the push works once space is freed',
      async () => {
        const files: Record<string, number> = { 'big.bin': BIG_FILE_BYTES / 2 };
        for (let i = 0; i < 8; i++) files[`small-${i}.bin`] = BIG_FILE_BYTES / 16;
        expectToldStorageFull(await pushOnFullDisk(files));
        const ready = await readyz(server);
        expect(ready.status).toBe(503);
        expect(ready.body.status).toBe('not_ready');
        expect(ready.body.dependencies.storage?.status).toBe('failing');
        expect(ready.body.dependencies.storage?.message).toMatch(/bytes free|space/);
        expect(ready.body.dependencies.database?.status).toBe('ok');
        await expectWorksOnceFreed();
      },
    );

    // A PostgreSQL server keeps nothing of a push in its data directory: a full one does not matter.
    it.runIf(dialect === 'postgres')(
      'a large object with the data directory full: the push goes through',
      async () => {
        const first = await push();
        expect(first.code, first.stderr).toBe(0);
        const pushed = await pushOnFullDisk({ 'big.bin': BIG_FILE_BYTES });
        expect(pushed.code, pushed.stderr).toBe(0);
        expect((await readyz(server)).status).toBe(200);
      },
    );

    it('an LFS upload: 503 with Retry-After in the LFS error shape, and it works once space is freed', async () => {
      const content = randomBytes(BIG_FILE_BYTES);
      const oid = createHash('sha256').update(content).digest('hex');
      const upload = () =>
        fetch(`${server.url}/import/big.git/info/lfs/objects/${oid}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
          body: content,
        });
      await fillDisk();
      const refused = await upload();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { message: string; code: string };
      expect(body.code).toBe('storage_full');
      expect(body.message).toMatch(/out of storage space \(ENOSPC\)/);
      await rm(ballast());
      expect((await upload()).status).toBe(200);
    });
  });
}
