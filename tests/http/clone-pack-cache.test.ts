import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { fsckStrict, refsOf, startHttpFixture, type HttpFixture } from './http-fixture.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';

const CACHED = 'reused from the clone cache';

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
