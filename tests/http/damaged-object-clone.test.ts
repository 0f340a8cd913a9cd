import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectId } from '../../src/git/object-id.js';
import { openStorage, type Storage } from '../../src/storage/storage.js';
import { rawCommit, rawObject, rawTree } from '../support/hostile-objects.js';
import { gitText } from '../support/git-cli.js';
import { startHttpFixture, type HttpFixture } from './http-fixture.js';
import { makeFileHistory } from '../support/git-fixtures.js';

/**
 * Data stored before pushes were checked (or written around the checks) must not stop the
 * server from serving: a tree whose `40000` entry names a blob, on a side branch, used to end
 * every clone of the repository with `early EOF`.
 */
describe('serving a repository with a damaged stored tree', () => {
  let fixture: HttpFixture;
  let storage: Storage;
  let local: string;
  const blob = rawObject('blob', 'not a directory\n');
  const badTree = rawTree([['40000', 'dir', blob.id]]);
  const unparsable = rawObject('tree', Buffer.from('100644 truncated'));
  const badCommit = rawCommit(badTree.id);
  const worseCommit = rawCommit(unparsable.id);

  beforeAll(async () => {
    fixture = await startHttpFixture();
    local = join(fixture.work, 'local');
    await makeFileHistory(local, 2);
    await fixture.git(2, ['push', fixture.url('/import/damaged'), 'main'], { cwd: local });
    const dataDir = join(fixture.work, 'data');
    storage = await openStorage({
      databaseUrl: `sqlite:${join(dataDir, 'mega.db')}`,
      dataDir,
      largeObjectThreshold: 1 << 20,
    });
    const repo = await storage.repositories.require('/import/damaged');
    // Written around ingest, as data from before fsck would have been.
    await storage.writeObjects(repo.id, [blob, badTree, badCommit, unparsable, worseCommit]);
    const zero = '0'.repeat(40) as ObjectId;
    await storage.refs.updateAtomic(repo.id, [
      { name: 'refs/heads/side', oldId: zero, newId: badCommit.id },
      { name: 'refs/heads/worse', oldId: zero, newId: worseCommit.id },
    ]);
  }, 60_000);
  afterAll(async () => {
    await storage.close();
    await fixture.stop();
  });

  it.each([0, 2])(
    'a full clone (protocol v%i) gets a whole pack: git names the bad object, not early EOF',
    async (version) => {
      const target = join(fixture.work, `clone-v${version}`);
      const result = await fixture.git(version, ['clone', fixture.url('/import/damaged'), target], {
        check: false,
      });
      // The server sent every object and finished the response; git's own checks refuse the
      // damaged branches (as they would from any server that has them).
      expect(result.stderr).not.toContain('early EOF');
      expect(result.stderr).not.toMatch(/remote: (fatal|error)|internal server error/i);
      expect(result.stderr).toMatch(
        new RegExp(`${blob.id} not a tree|too-short tree object|bad tree object`),
      );
      // The server said what it met (its log) and is still serving.
      expect(fixture.server.output()).toMatch(new RegExp(`object ${blob.id} is a blob, not a tree`));
      expect(fixture.server.output()).toMatch(new RegExp(`tree ${unparsable.id} cannot be parsed`));
    },
  );

  it('clones and fetches the intact branch', async () => {
    const target = join(fixture.work, 'clone-main');
    await fixture.git(2, ['clone', '--single-branch', '-b', 'main', fixture.url('/import/damaged'), target]);
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: target })).toBe(
      await gitText(['rev-parse', 'main'], { cwd: local }),
    );
  });
});
