import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForkingHistory } from '../support/forking-history.js';
import { dulwichFetchRefs } from '../support/dulwich.js';
import { git, gitText, presentObjects } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';

const RECORDED = 'walk recorded earlier';

/**
 * Every ref of a first push of many forking and merging refs gets its bitmap: the first clone
 * of each branch alone, whatever its place in the history (the newest, one merging another
 * branch, an octopus with an unrelated root, one forked off another branch), is answered without
 * a walk, exactly as C git's server answers it, and dulwich fetches a merge and a tag of a tag
 * into a new repository.
 */
describe('clones of the branches of a forking history, protocol v2', () => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/forking.git');
  const walkCount = () => {
    const database = new Database(join(fx.work, 'data', 'mega.db'), { readonly: true });
    try {
      return (database.prepare('select count(*) as n from clone_walks').get() as { n: number }).n;
    } finally {
      database.close();
    }
  };

  beforeAll(async () => {
    fx = await startHttpFixture({ env: { MEGA_CLONE_PACK_CACHE_BYTES: '0' } });
    await makeForkingHistory(dir('origin.git'));
    await fx.git(2, ['-C', dir('origin.git'), 'push', '-q', url(), 'refs/heads/*', 'refs/tags/*']);
    // Stopping the server waits for the walks the push asked for.
    await fx.restart();
  }, 120_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('clone --single-branch --branch of each kind of branch: from the bitmaps, as C git', async () => {
    const walks = walkCount();
    for (const branch of ['b16', 'b12', 'b9', 'b1', 'orphan']) {
      const target = `single-${branch}.git`;
      const cloned = await fx.anonymous(2, [
        'clone',
        '--progress',
        '--bare',
        '--single-branch',
        '--branch',
        branch,
        url(),
        dir(target),
      ]);
      expect(cloned.stderr.toString(), branch).toContain(RECORDED);
      await git([
        'clone',
        '-q',
        '--bare',
        '--single-branch',
        '--branch',
        branch,
        `file://${dir('origin.git')}`,
        dir(`c-${target}`),
      ]);
      expect(await presentObjects(dir(target)), branch).toEqual(await presentObjects(dir(`c-${target}`)));
      expect(await refsOf(dir(target)), branch).toBe(await refsOf(dir(`c-${target}`)));
      await fsckStrict(dir(target));
    }
    expect(walkCount()).toBe(walks);
  });

  it('dulwich fetches a merge and a tag of a tag into a new repository: exactly what they reach', async () => {
    const walks = walkCount();
    const target = dir('dulwich');
    const refs = ['refs/heads/b12', 'refs/tags/b7-release-again'];
    await dulwichFetchRefs(url(), target, refs);
    const reached = (await gitText(['-C', dir('origin.git'), 'rev-list', '--objects', ...refs]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40))
      .sort();
    expect(await presentObjects(target)).toEqual(reached);
    await fsckStrict(target);
    expect(walkCount()).toBe(walks);
  });
});
