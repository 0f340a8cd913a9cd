import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBranchyRepository } from '../support/branchy-repository.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { serviceAvailable } from '../support/services.js';
import { gitText } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';

const RECORDED = 'walk recorded earlier';
const DATABASES = [
  'sqlite',
  ...((await serviceAvailable('postgres')) ? ['postgres' as const] : []),
  ...((await serviceAvailable('mysql')) ? ['mysql' as const] : []),
] as const;

/**
 * The clone right after a repository's first push (what a CI job does) is served from the walk
 * the recorder listed from the pushed pack's graph: it replays a recorded walk and is complete.
 * The pack cache is off, so the clone's pack is computed.
 */
describe.each(DATABASES)('a clone right after the first push, on %s', (database) => {
  let fx: HttpFixture;
  let scratch: ScratchDatabase | undefined;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/branchy.git');

  beforeAll(async () => {
    scratch = database === 'sqlite' ? undefined : await createScratchDatabase(database, { migrate: false });
    fx = await startHttpFixture({
      env: { MEGA_CLONE_PACK_CACHE_BYTES: '0', ...(scratch ? { MEGA_DATABASE_URL: scratch.url } : {}) },
    });
    await makeBranchyRepository(dir('origin'), { spreadDates: true });
  });
  afterAll(async () => {
    await fx?.stop();
    await scratch?.drop();
  });

  it('replays the walk recorded for the mirror and the plain clone, and both are complete', async () => {
    await fx.git(2, ['-C', dir('origin'), 'push', '-q', '--mirror', url()]);
    const mirror = await fx.anonymous(2, ['clone', '--mirror', '--progress', url(), dir('mirror.git')]);
    expect(mirror.stderr).toContain(RECORDED);
    await fsckStrict(dir('mirror.git'));
    expect(await refsOf(dir('mirror.git'))).toBe(await refsOf(dir('origin')));

    const plain = await fx.anonymous(0, ['clone', '--bare', '--progress', url(), dir('plain.git')]);
    expect(plain.stderr).toContain(RECORDED);
    await fsckStrict(dir('plain.git'));
    expect(await refsOf(dir('plain.git'))).toBe(
      (await refsOf(dir('origin')))
        .split('\n')
        .filter((line) => line.startsWith('refs/heads/') || line.startsWith('refs/tags/'))
        .join('\n'),
    );
  });

  it('a --single-branch clone right after a push waits for the recorder and replays its walk', async () => {
    const fresh = fx.url('/import/branchy-single.git');
    await fx.git(2, ['-C', dir('origin'), 'push', '-q', '--mirror', fresh]);
    for (const version of [0, 2]) {
      const target = dir(`single-v${version}.git`);
      const single = await fx.anonymous(version, [
        'clone',
        '--bare',
        '--single-branch',
        '--progress',
        fresh,
        target,
      ]);
      expect(single.stderr).toContain(RECORDED);
      await fsckStrict(target);
      const byGit = dir(`single-by-git-v${version}.git`);
      await gitText([
        'clone',
        '-q',
        '--bare',
        '--single-branch',
        '--no-local',
        `file://${dir('origin')}`,
        byGit,
      ]);
      const objects = (repo: string) =>
        gitText(['-C', repo, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)']);
      expect(await objects(target)).toBe(await objects(byGit));
      expect(await refsOf(target)).toBe(await refsOf(byGit));
    }
  });

  it('a partial clone replays the recorded walk less what its filter drops: what git itself keeps', async () => {
    const ids = (text: string) =>
      text
        .split('\n')
        .map((line) => line.slice(0, 40))
        .filter((id) => id !== '')
        .sort();
    for (const filter of ['blob:none', 'blob:limit=100', 'tree:1', 'tree:2']) {
      const target = dir(`partial-${filter.replace(/[:=]/g, '-')}.git`);
      const partial = await fx.anonymous(2, [
        'clone',
        '--bare',
        `--filter=${filter}`,
        '--progress',
        url(),
        target,
      ]);
      expect(partial.stderr.toString(), filter).toContain(RECORDED);
      await fsckStrict(target);
      const present = await gitText([
        '-C',
        target,
        'cat-file',
        '--batch-all-objects',
        '--batch-check=%(objectname)',
      ]);
      const kept = await gitText([
        '-C',
        dir('origin'),
        'rev-list',
        '--objects',
        '--branches',
        '--tags',
        `--filter=${filter}`,
      ]);
      expect(ids(present), filter).toEqual(ids(kept));
    }
  });
});
