import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createScratchDatabase,
  DIALECT_NAMES,
  type DialectName,
  type ScratchDatabase,
} from '../support/scratch-database.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { authEnv } from './http-fixture.js';

/** Above the default large-object threshold (1 MiB): stored in chunk rows. */
const FILE_BYTES = 3 * 1024 * 1024;
const AVAILABLE: Readonly<Record<DialectName, boolean>> = {
  sqlite: true,
  postgres: await serviceAvailable('postgres'),
  mysql: await serviceAvailable('mysql'),
};

/**
 * Issue 17: two `mega serve` processes with separate data directories on one database (a
 * PostgreSQL or MariaDB database, or a SQLite file both open by path). A large file pushed to one
 * comes back from a clone through the other: no object lives in a data directory.
 */
for (const dialect of DIALECT_NAMES) {
  describe.skipIf(!AVAILABLE[dialect])(`two servers on one ${dialect} database`, () => {
    let work: { path: string; remove: () => Promise<void> };
    let scratch: ScratchDatabase;
    let servers: MegaServer[] = [];
    let token = '';
    let content: Buffer;

    beforeAll(async () => {
      work = await makeTempDir('mega-shared-db-');
      scratch = await createScratchDatabase(dialect, { migrate: false });
      // Servers of one installation share the deployment secret; one with another refuses to start.
      const env = { MEGA_DATABASE_URL: scratch.url, MEGA_SECRET_KEY: randomBytes(32).toString('hex') };
      const created = await runMega(
        ['token', 'create', 'alice', '--admin', '--data', join(work.path, 'data-a')],
        {
          env,
        },
      );
      if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
      token = created.stdout.trim().split('\n').pop() ?? '';
      servers = [
        await startMegaServer({ dataDir: join(work.path, 'data-a'), env }),
        await startMegaServer({ dataDir: join(work.path, 'data-b'), env }),
      ];
      const source = join(work.path, 'source');
      await git(['init', '-q', '-b', 'main', source]);
      content = randomBytes(FILE_BYTES);
      await writeFile(join(source, 'big.bin'), content);
      await git(['-C', source, 'add', 'big.bin']);
      await git(['-C', source, 'commit', '-q', '-m', 'a 3 MiB file']);
    });
    afterAll(async () => {
      for (const server of servers) await server.stop();
      await scratch?.drop();
      await work?.remove();
    });

    it('serves a large file pushed to one server from a clone through the other', async () => {
      const [a, b] = servers as [MegaServer, MegaServer];
      const env = authEnv(token);
      const pushed = await git(
        ['-C', join(work.path, 'source'), 'push', '-q', `${a.url}/import/shared.git`, 'main'],
        {
          env,
        },
      );
      expect(pushed.code, pushed.stderr).toBe(0);
      const clone = join(work.path, 'clone');
      const cloned = await git(['clone', '-q', `${b.url}/import/shared.git`, clone], { env });
      expect(cloned.code, `${cloned.stderr}\n${b.output()}`).toBe(0);
      expect((await readFile(join(clone, 'big.bin'))).equals(content)).toBe(true);
      const fsck = await git(['-C', clone, 'fsck', '--strict'], {});
      expect(fsck.code, fsck.stderr).toBe(0);
    });
  });
}
