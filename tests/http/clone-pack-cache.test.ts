import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filteredObjects, git, gitText } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';
import { dulwichFetchRefs } from '../support/dulwich.js';

const CACHED = 'reused from the clone cache';
const CUT = "cut from a full clone's cached pack";

/** The names of the packs in the server's clone cache, sorted. */
async function cachedPacks(fx: HttpFixture): Promise<string[]> {
  const names = await readdir(join(fx.work, 'data', 'cache', 'packs')).catch(() => []);
  return names.filter((name) => name.endsWith('.pack')).sort();
}

/** The objects a partial clone holds, sorted. */
const heldObjects = async (dir: string) =>
  (await gitText(['-C', dir, 'rev-list', '--objects', '--missing=print', '--all']))
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('?'))
    .map((line) => line.slice(0, 40))
    .sort();

/** Full clones are served from the on-disk pack cache once a first clone produced the pack. */
describe.each([0, 2])('clone pack cache with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/cached.git');

  beforeAll(async () => {
    fx = await startHttpFixture();
    await makeFileHistory(dir('origin'), 6);
    await git(['-C', dir('origin'), 'tag', '-a', 'v1', '-m', 'release one', 'HEAD~2']);
    await git(['-C', dir('origin'), 'branch', 'topic', 'HEAD~3']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main', 'topic', 'v1']);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('serves the second clone of the same commits from the cache, byte-identical in effect', async () => {
    const first = await fx.anonymous(version, ['clone', '--progress', '--mirror', url(), dir('first.git')]);
    expect(first.stderr.toString()).not.toContain(CACHED);
    const second = await fx.anonymous(version, ['clone', '--progress', '--mirror', url(), dir('second.git')]);
    expect(second.stderr.toString()).toContain(CACHED);
    await fsckStrict(dir('second.git'));
    expect(await refsOf(dir('second.git'))).toBe(await refsOf(dir('first.git')));
    expect(await gitText(['-C', dir('second.git'), 'cat-file', '-t', 'v1'])).toBe('tag');
  });

  it('a push changes what is wanted, so the next clone is computed afresh and sees it', async () => {
    const pushed = await commitFile(dir('origin'), 'after-cache.txt', 'new\n', 'after the cache');
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main']);
    const fresh = await fx.anonymous(version, ['clone', '--progress', url(), dir('fresh')]);
    expect(fresh.stderr.toString()).not.toContain(CACHED);
    expect(await gitText(['-C', dir('fresh'), 'rev-parse', 'HEAD'])).toBe(pushed);
    await fsckStrict(dir('fresh'));
  });

  it('keeps partial clones apart from full ones (the filter is part of the key)', async () => {
    await fx.anonymous(version, ['clone', '-q', '--no-checkout', url(), dir('full')]);
    const partial = await fx.anonymous(version, [
      'clone',
      '--progress',
      '--no-checkout',
      '--filter=blob:none',
      url(),
      dir('partial'),
    ]);
    expect(partial.stderr.toString()).not.toContain(CACHED);
    const missing = await gitText([
      '-C',
      dir('partial'),
      'rev-list',
      '--objects',
      '--missing=print',
      '--all',
    ]);
    expect(missing.split('\n').some((line) => line.startsWith('?'))).toBe(true);
  });
});

/**
 * `blob:limit` and `blob:none` clones of a full clone's wants are cut out of its cached pack:
 * deltas on kept bases keep their place (OFS distances rewritten), a small blob whose delta base
 * is a large blob left out goes whole.
 */
describe.each([0, 2])('partial clones cut from a cached full pack with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/cut.git');

  beforeAll(async () => {
    fx = await startHttpFixture();
    await makeFileHistory(dir('origin'), 4);
    // Shrinking versions of one file: git deltas the small ones against the larger ones.
    const line = (n: number) => `line ${n} of a file that shrinks as it goes on being edited\n`;
    const lines = Array.from({ length: 80 }, (_, n) => line(n));
    for (const kept of [80, 60, 40, 20, 10]) {
      await commitFile(dir('origin'), 'shrinking.txt', lines.slice(0, kept).join(''), `${kept} lines`);
    }
    await git(['-C', dir('origin'), 'tag', '-a', 'v1', '-m', 'release one', 'HEAD~2']);
    await git(['-C', dir('origin'), 'branch', 'topic', 'HEAD~3']);
    await fx.git(version, ['-C', dir('origin'), 'push', '-q', url(), 'main', 'topic', 'v1']);
    await fx.anonymous(version, ['clone', '-q', '--bare', url(), dir('full.git')]);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it.each(['blob:limit=2000', 'blob:limit=700', 'blob:none'])(
    '%s holds what rev-list --filter keeps',
    async (filter) => {
      const target = dir(`${filter.replace(/[:=]/g, '-')}.git`);
      const partial = await fx.anonymous(version, [
        'clone',
        '--progress',
        '--bare',
        `--filter=${filter}`,
        url(),
        target,
      ]);
      expect(partial.stderr.toString()).toContain(CUT);
      expect(partial.stderr.toString()).toContain('Total ');
      await git(['-C', target, 'fsck', '--strict']);
      expect(await heldObjects(target)).toEqual(await filteredObjects(dir('origin'), filter));
      expect(await refsOf(target)).toBe(await refsOf(dir('full.git')));
    },
  );

  it("caches no cut pack: the full clone's pack is the one entry", async () => {
    expect(await cachedPacks(fx)).toHaveLength(1);
  });

  it('an entry index that does not fit its pack: nothing is cut, the clone is sent from storage', async () => {
    // One entry less before the checksum copy: the index no longer describes the pack. The pack's
    // checksum changes with it (the cut writes its own), so the server's copy of the index in
    // memory, written with the pack, no longer matches and the file is read.
    const packs = join(fx.work, 'data', 'cache', 'packs');
    const [index] = (await readdir(packs)).filter((name) => name.endsWith('.entries'));
    const bytes = await readFile(join(packs, index!));
    const otherChecksum = Buffer.alloc(20, 0x5a);
    await writeFile(join(packs, index!), Buffer.concat([bytes.subarray(0, -46), otherChecksum]));
    const pack = join(packs, index!.replace(/\.entries$/, '.pack'));
    const packBytes = await readFile(pack);
    await writeFile(pack, Buffer.concat([packBytes.subarray(0, -20), otherChecksum]));
    const target = dir('from-storage.git');
    const partial = await fx.anonymous(version, [
      'clone',
      '--progress',
      '--bare',
      '--filter=blob:limit=1500',
      url(),
      target,
    ]);
    expect(partial.stderr.toString()).not.toContain(CUT);
    expect(partial.stderr.toString()).toContain('Total ');
    await git(['-C', target, 'fsck', '--strict']);
    expect(await heldObjects(target)).toEqual(await filteredObjects(dir('origin'), 'blob:limit=1500'));
    expect(await refsOf(target)).toBe(await refsOf(dir('full.git')));
  });
});

/**
 * Another branch alone (`--single-branch --branch`, answered from the ref tips' bitmaps over the
 * recorded walk of every ref) is cut out of the cached pack of a full clone when one is cached:
 * its entries are copied from the file, not read row by row. It gets what C git sends.
 */
describe.each([0, 2])('another branch cut from a cached full pack with protocol.version=%i', (version) => {
  let fx: HttpFixture;
  const dir = (name: string) => join(fx.work, name);
  const url = () => fx.url('/import/branch-cut.git');

  /**
   * Clones `args` (after `clone --progress --bare`) from our server into `target`, expects the
   * progress to say `source`, fsck --strict to pass, and the same objects and refs as C git's
   * clone of the origin with the same arguments.
   */
  async function cloneLikeCGit(args: readonly string[], target: string, source: string): Promise<void> {
    const cloned = await fx.anonymous(version, ['clone', '--progress', '--bare', ...args, url(), target]);
    expect(cloned.stderr.toString()).toContain(source);
    await fsckStrict(target);
    const theirs = `${target}-c-git`;
    await git([
      '-c',
      `protocol.version=${version}`,
      'clone',
      '-q',
      '--bare',
      ...args,
      `file://${dir('origin')}`,
      theirs,
    ]);
    expect(await heldObjects(target)).toEqual(await heldObjects(theirs));
    expect(await refsOf(target)).toBe(await refsOf(theirs));
  }

  beforeAll(async () => {
    fx = await startHttpFixture();
    const origin = dir('origin');
    await makeFileHistory(origin, 4);
    const line = (n: number) => `line ${n} of a file that shrinks as it goes on being edited\n`;
    const lines = Array.from({ length: 80 }, (_, n) => line(n));
    for (const kept of [80, 60, 40]) {
      await commitFile(origin, 'shrinking.txt', lines.slice(0, kept).join(''), `${kept} lines`);
    }
    // A branch with commits of its own, forked from the middle of main.
    await git(['-C', origin, 'checkout', '-q', '-b', 'topic', 'HEAD~2']);
    await commitFile(origin, 'shrinking.txt', lines.slice(0, 70).join(''), 'topic: 70 lines');
    await commitFile(origin, 'topic/a.txt', 'only on topic\n', 'topic a');
    await git(['-C', origin, 'tag', '-a', 'topic-v1', '-m', 'on topic', 'HEAD']);
    await git(['-C', origin, 'checkout', '-q', 'main']);
    await git(['-C', origin, 'tag', '-a', 'v1', '-m', 'release one', 'HEAD~2']);
    await fx.git(version, ['-C', origin, 'push', '-q', url(), 'main', 'topic', 'v1', 'topic-v1']);
    // Stopping the server waits for the walks the push asked for.
    await fx.restart();
    await fx.anonymous(version, ['clone', '-q', '--bare', url(), dir('full.git')]);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('gets what C git sends for the branch, fsck --strict clean', async () => {
    const branch = ['--single-branch', '--branch', 'topic'];
    const packsBefore = await cachedPacks(fx);
    await cloneLikeCGit(branch, dir('topic.git'), CUT);
    // A cut pack is not cached again (its bytes are in the full pack): served again, it is cut again.
    await cloneLikeCGit(branch, dir('topic-again.git'), CUT);
    expect(await cachedPacks(fx)).toEqual(packsBefore);
  });

  it('the default branch alone, recorded but not cached, is cut too', async () => {
    await cloneLikeCGit(['--single-branch'], dir('main-alone.git'), CUT);
  });

  it('dulwich, an independent client, fetches the branch alone: what it reaches, fsck --strict clean', async () => {
    const target = dir('topic-dulwich');
    await dulwichFetchRefs(url(), target, ['refs/heads/topic']);
    await fsckStrict(target);
    const reached = (await gitText(['-C', dir('origin'), 'rev-list', '--objects', 'topic']))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.slice(0, 40))
      .sort();
    expect(await heldObjects(target)).toEqual(reached);
  });
});

describe('clone pack cache turned off', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await startHttpFixture({ env: { MEGA_CLONE_PACK_CACHE_BYTES: '0' } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('computes every clone and writes nothing to the cache directory', async () => {
    const url = fx.url('/import/uncached.git');
    await makeFileHistory(join(fx.work, 'origin'), 3);
    await fx.git(2, ['-C', join(fx.work, 'origin'), 'push', '-q', url, 'main']);
    for (const name of ['one', 'two']) {
      const cloned = await fx.anonymous(2, ['clone', '--progress', url, join(fx.work, name)]);
      expect(cloned.stderr.toString()).not.toContain(CACHED);
    }
    const entries = await readdir(join(fx.work, 'data', 'cache', 'packs')).catch(() => []);
    expect(entries).toEqual([]);
  });
});
