import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForkingHistory } from '../support/forking-history.js';
import { git, gitText } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';

const run = promisify(execFile);
/** Debian's interpreter: the one that has `python3-dulwich` (a pyenv shim may come first in PATH). */
const DEBIAN_PYTHON = '/usr/bin/python3';
/** dulwich fetches the refs named after the repository into a new repository. argv: url, target, refs… */
const DULWICH_FETCH_REFS = `
import sys
from dulwich.client import get_transport_and_path
from dulwich.repo import Repo
url, target, names = sys.argv[1], sys.argv[2], [name.encode() for name in sys.argv[3:]]
client, path = get_transport_and_path(url)
repo = Repo.init(target, mkdir=True)
fetched = client.fetch(path, repo, determine_wants=lambda refs, depth=None: [refs[name] for name in names])
for name in names:
    repo.refs[name] = fetched.refs[name]
`;
const RECORDED = 'walk recorded earlier';

const objectsOf = async (dir: string) =>
  (await gitText(['-C', dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)']))
    .split('\n')
    .filter((line) => line !== '')
    .sort();

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
      expect(await objectsOf(dir(target)), branch).toEqual(await objectsOf(dir(`c-${target}`)));
      expect(await refsOf(dir(target)), branch).toBe(await refsOf(dir(`c-${target}`)));
      await fsckStrict(dir(target));
    }
    expect(walkCount()).toBe(walks);
  });

  it('dulwich fetches a merge and a tag of a tag into a new repository: exactly what they reach', async () => {
    const walks = walkCount();
    const target = dir('dulwich');
    const refs = ['refs/heads/b12', 'refs/tags/b7-release-again'];
    await run(DEBIAN_PYTHON, ['-c', DULWICH_FETCH_REFS, url(), target, ...refs]);
    const reached = (await gitText(['-C', dir('origin.git'), 'rev-list', '--objects', ...refs]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(0, 40))
      .sort();
    expect(await objectsOf(target)).toEqual(reached);
    await fsckStrict(target);
    expect(walkCount()).toBe(walks);
  });
});
