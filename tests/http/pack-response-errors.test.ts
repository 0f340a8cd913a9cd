import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type MegaDatabase } from '../../src/storage/open-database.js';
import { git, gitText } from '../support/git-cli.js';
import { makeFileHistory } from '../support/git-fixtures.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import { startHttpFixture, type HttpFixture } from './http-fixture.js';

/**
 * A failure while a pack response is being written must reach git in a form it prints
 * (issue 20): once the response is side-band multiplexed, on band 3 (git shows
 * `remote: error: …`); before that, as an `ERR` packet. An `ERR` packet inside the multiplexed
 * part is read as band `E` (69): `protocol error: bad band #69`, and the cause is lost.
 *
 * The faults are stored data gone missing under the server (rows deleted behind its back), as a
 * damaged database or a half-finished manual repair would leave it.
 */
// PostgreSQL reads chunk rows by binary COPY (`capabilities.blobCopy`); MariaDB as SQLite does.
const DATABASES = ['sqlite' as const, ...((await serviceAvailable('postgres')) ? ['postgres' as const] : [])];

describe.each(DATABASES)('errors during a pack response, on %s', (dialect) => {
  const LARGE_OBJECT_THRESHOLD = 4096;
  let fixture: HttpFixture;
  let scratch: ScratchDatabase | undefined;
  let database: MegaDatabase;
  let local: string;

  beforeAll(async () => {
    scratch = dialect === 'sqlite' ? undefined : await createScratchDatabase(dialect, { migrate: false });
    fixture = await startHttpFixture({
      // Chunk-stored blobs stream while the pack is written: losing one fails mid-pack.
      env: {
        MEGA_LARGE_OBJECT_THRESHOLD: String(LARGE_OBJECT_THRESHOLD),
        ...(scratch ? { MEGA_DATABASE_URL: scratch.url } : {}),
      },
    });
    database = scratch?.database ?? openDatabase(`sqlite:${join(fixture.work, 'data', 'mega.db')}`);
    local = join(fixture.work, 'local');
    await makeFileHistory(local, 3);
  }, 60_000);
  afterAll(async () => {
    if (!scratch) await database.close();
    await fixture.stop();
    await scratch?.drop();
  });

  /** Pushes `local` to `path` and forgets the clone walks recorded for it. */
  const pushTo = async (path: string) => {
    await fixture.git(2, ['push', fixture.url(path), 'main'], { cwd: local });
    await database.db.deleteFrom('clone_walks').execute();
  };

  /** Pushes a commit adding a 1 MiB random file to `path`; returns the file's blob id. */
  const pushBigFile = async (path: string, workName: string) => {
    const big = join(fixture.work, workName);
    await git(['clone', '-q', local, big]);
    // Random content does not deflate: 1 MiB spans several chunk rows of 256 KiB.
    await writeFile(join(big, 'big.bin'), randomBytes(1 << 20));
    await git(['add', 'big.bin'], { cwd: big });
    await git(['commit', '-q', '-m', 'big'], { cwd: big });
    await fixture.git(2, ['push', fixture.url(path), 'main'], { cwd: big });
    return gitText(['rev-parse', 'HEAD:big.bin'], { cwd: big });
  };
  /** Deletes an object's stored bytes (its row, or its chunk rows) behind the server's back. */
  const loseObject = async (id: string, what: 'row' | 'chunks' | 'membership') => {
    await database.db.deleteFrom('clone_walks').execute();
    if (what === 'row') await database.db.deleteFrom('raw_objects').where('git_id', '=', id).execute();
    if (what === 'membership')
      await database.db.deleteFrom('repository_objects').where('git_id', '=', id).execute();
    if (what === 'chunks') await database.db.deleteFrom('object_chunks').where('git_id', '=', id).execute();
  };

  const expectPrinted = (stderr: string, pattern: RegExp) => {
    expect(stderr).not.toContain('bad band');
    expect(stderr).toMatch(pattern);
  };

  it.each([0, 2])(
    'a failure before any pack data (protocol v%i, no progress) comes on band 3',
    async (version) => {
      const path = `/import/lost-tree-v${version}`;
      await pushTo(path);
      // The first commit's tree: the walk reads it (after the acknowledgments, before any data).
      const tree = await gitText(['rev-parse', 'HEAD~2^{tree}'], { cwd: local });
      await loseObject(tree, 'row');
      const result = await fixture.git(
        version,
        ['clone', '--no-progress', fixture.url(path), join(fixture.work, `clone-tree-v${version}`)],
        { check: false },
      );
      expect(result.code).not.toBe(0);
      expectPrinted(result.stderr, new RegExp(`remote: error: (tree|object) ${tree} is missing`));
    },
  );

  it.each([0, 2])('a failure in the middle of the pack (protocol v%i) comes on band 3', async (version) => {
    const path = `/import/lost-chunks-v${version}`;
    const blob = await pushBigFile(path, `big-v${version}`);
    await loseObject(blob, 'chunks');
    const result = await fixture.git(
      version,
      ['clone', '--progress', fixture.url(path), join(fixture.work, `clone-chunks-v${version}`)],
      { check: false },
    );
    expect(result.code).not.toBe(0);
    expectPrinted(result.stderr, /remote: error: stored object has no data/);
  });

  it.each([0, 2])(
    'an object whose later chunk rows are lost fails on the server, not as a broken pack (protocol v%i)',
    async (version) => {
      const path = `/import/cut-chunks-v${version}`;
      const blob = await pushBigFile(path, `cut-v${version}`);
      await database.db.deleteFrom('clone_walks').execute();
      // The first two rows stay: the stream so far is well formed, only its end is gone.
      await database.db
        .deleteFrom('object_chunks')
        .where('git_id', '=', blob)
        .where('seq', '>=', 2)
        .execute();
      const result = await fixture.git(
        version,
        ['clone', '--progress', fixture.url(path), join(fixture.work, `clone-cut-v${version}`)],
        { check: false },
      );
      expect(result.code).not.toBe(0);
      expectPrinted(result.stderr, new RegExp(`remote: error: stored object ${blob} is cut short`));
      // Not what git prints for a pack entry whose zlib stream breaks off.
      expect(result.stderr).not.toMatch(/inflate returned|bad object at offset/);
    },
  );

  it.each([0, 2])(
    'a failure before the multiplexed part (protocol v%i) is an ERR packet',
    async (version) => {
      const path = `/import/lost-tip-v${version}`;
      await pushTo(path);
      // The advertised tip itself: refused while checking the wants, before any pack response.
      await loseObject(await gitText(['rev-parse', 'HEAD'], { cwd: local }), 'membership');
      const result = await fixture.git(
        version,
        ['clone', '--no-progress', fixture.url(path), join(fixture.work, `clone-tip-v${version}`)],
        { check: false },
      );
      expect(result.code).not.toBe(0);
      expectPrinted(result.stderr, /remote error: upload-pack: not our ref/);
    },
  );

  it('the server keeps serving', async () => {
    const path = '/import/intact';
    await pushTo(path);
    const target = join(fixture.work, 'clone-intact');
    await fixture.git(2, ['clone', '--no-progress', fixture.url(path), target]);
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: target })).toBe(
      await gitText(['rev-parse', 'HEAD'], { cwd: local }),
    );
  });
});
