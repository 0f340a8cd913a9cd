import { mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { PackCache } from './pack-cache.js';

const key = (digit: string) => digit.repeat(64);

async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

async function store(cache: PackCache, id: string, bytes: Buffer): Promise<void> {
  const entry = await cache.create(id);
  await entry?.write(bytes.subarray(0, 3));
  await entry?.write(bytes.subarray(3));
  await entry?.commit();
}

describe('PackCache', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterEach(async () => {
    await temp?.remove();
  });

  const open = async (options: { maxBytes?: number; maxAgeMs?: number } = {}) => {
    const dir = await makeTempDir('mega-pack-cache-');
    temp = dir;
    return new PackCache(dir.path, {
      maxBytes: options.maxBytes ?? 1 << 20,
      maxAgeMs: options.maxAgeMs ?? 60_000,
    });
  };
  const packDir = () => join(temp!.path, 'cache', 'packs');

  it('serves a committed entry and nothing before the commit', async () => {
    const cache = await open();
    const entry = await cache.create(key('a'));
    await entry?.write(Buffer.from('PACK partial'));
    expect(await cache.open(key('a'))).toBeUndefined();
    await entry?.commit();
    const cached = await cache.open(key('a'));
    expect(cached?.size).toBe(12);
    expect((await readAll(cached!.chunks)).toString()).toBe('PACK partial');
  });

  it('finishes sending an entry that is removed while it is read', async () => {
    const cache = await open();
    const bytes = Buffer.alloc(200_000, 7);
    await store(cache, key('9'), bytes);
    const cached = await cache.open(key('9'));
    await rm(join(packDir(), `${key('9')}.pack`));
    expect(await readAll(cached!.chunks)).toEqual(bytes);
  });

  it('drops an aborted entry and leaves no temp file', async () => {
    const cache = await open();
    const entry = await cache.create(key('b'));
    await entry?.write(Buffer.from('half a pack'));
    await entry?.abort();
    expect(await cache.open(key('b'))).toBeUndefined();
    expect(await readdir(packDir())).toEqual([]);
  });

  it('refuses keys that are not hex digests (no path tricks)', async () => {
    const cache = await open();
    for (const bad of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), '']) {
      expect(await cache.create(bad)).toBeUndefined();
      expect(await cache.open(bad)).toBeUndefined();
    }
  });

  it('expires entries unused for longer than the maximum age', async () => {
    const cache = await open({ maxAgeMs: 1000 });
    await store(cache, key('c'), Buffer.from('PACKold'));
    const old = new Date(Date.now() - 5000);
    await utimes(join(packDir(), `${key('c')}.pack`), old, old);
    expect(await cache.open(key('c'))).toBeUndefined();
    expect(await readdir(packDir())).toEqual([]);
  });

  it('keeps the total under the budget by removing the least recently used', async () => {
    const cache = await open({ maxBytes: 100, maxAgeMs: 3_600_000 });
    for (const digit of ['1', '2', '3', '4', '5']) {
      await store(cache, key(digit), Buffer.alloc(20, Number(digit)));
      const used = new Date(Date.now() - (10 - Number(digit)) * 10_000);
      await utimes(join(packDir(), `${key(digit)}.pack`), used, used);
    }
    // Using entry 1 makes entry 2 the least recently used.
    await readAll((await cache.open(key('1')))!.chunks);
    // 5 × 20 = 100 fits; one more goes over and evicts the least recently used one.
    await store(cache, key('6'), Buffer.alloc(20, 6));
    const names = (await readdir(packDir())).sort();
    expect(names).toHaveLength(5);
    expect(names).not.toContain(`${key('2')}.pack`);
    expect(await readFile(join(packDir(), `${key('1')}.pack`))).toEqual(Buffer.alloc(20, 1));
  });

  it('does not cache a pack bigger than a quarter of the budget', async () => {
    const cache = await open({ maxBytes: 100 });
    await store(cache, key('d'), Buffer.alloc(26));
    expect(await cache.open(key('d'))).toBeUndefined();
    expect(await readdir(packDir())).toEqual([]);
  });

  it('is off with a zero budget', async () => {
    const cache = await open({ maxBytes: 0 });
    expect(cache.enabled).toBe(false);
    expect(await cache.create(key('e'))).toBeUndefined();
  });

  it('removes temp files left by a crashed process', async () => {
    const cache = await open({ maxAgeMs: 60_000 });
    await mkdir(packDir(), { recursive: true });
    const stale = join(packDir(), `${key('f')}.0123456789ab.tmp`);
    await writeFile(stale, 'partial');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    await cache.prune();
    expect(await readdir(packDir())).toEqual([]);
  });
  it('gives the clones sending one entry at once one shared copy, released once each has read it', async () => {
    const cache = await open();
    const bytes = Buffer.from('PACK shared by two senders');
    await store(cache, key('5'), bytes);
    const first = await cache.open(key('5'));
    const second = await cache.open(key('5'));
    expect(first?.shared?.bytes).toBe(second?.shared?.bytes);
    expect(await readAll(first!.chunks)).toEqual(bytes);
    expect(await readAll(second!.chunks)).toEqual(bytes);
    // Both released: the next sender reads the file again (a fresh copy).
    const third = await cache.open(key('5'));
    expect(third?.shared?.bytes).not.toBe(first?.shared?.bytes);
    expect(await readAll(third!.chunks)).toEqual(bytes);
  });
});

describe('PackCache at start-up', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterEach(async () => {
    await temp?.remove();
  });

  it('removes every temp file a crash left, however recent, and keeps finished entries', async () => {
    temp = await makeTempDir('mega-pack-cache-');
    const dir = join(temp.path, 'cache', 'packs');
    const cache = new PackCache(temp.path, { maxBytes: 1 << 20, maxAgeMs: 60_000 });
    await store(cache, key('1'), Buffer.from('PACKkept'));
    await writeFile(join(dir, `${key('2')}.0123456789ab.tmp`), 'half a pack');
    await writeFile(join(dir, `${key('3')}.ba9876543210.tmp`), 'another half');
    expect(await cache.removeLeftovers()).toBe(2);
    expect(await readdir(dir)).toEqual([`${key('1')}.pack`]);
    expect((await readAll((await cache.open(key('1')))!.chunks)).toString()).toBe('PACKkept');
  });

  it('is a no-op before the cache directory exists', async () => {
    temp = await makeTempDir('mega-pack-cache-');
    const cache = new PackCache(temp.path, { maxBytes: 1 << 20, maxAgeMs: 60_000 });
    expect(await cache.removeLeftovers()).toBe(0);
  });

  it('drops an entry whose temp file another starting server removed, without failing the send', async () => {
    temp = await makeTempDir('mega-pack-cache-');
    const cache = new PackCache(temp.path, { maxBytes: 1 << 20, maxAgeMs: 60_000 });
    const entry = await cache.create(key('4'));
    await entry?.write(Buffer.from('PACK in flight'));
    const dir = join(temp.path, 'cache', 'packs');
    // The temp file is opened asynchronously; wait until it is there.
    while (!(await readdir(dir)).some((name) => name.endsWith('.tmp'))) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new PackCache(temp.path, { maxBytes: 1 << 20, maxAgeMs: 60_000 }).removeLeftovers();
    await expect(entry!.commit()).resolves.toBeUndefined();
    expect(await cache.open(key('4'))).toBeUndefined();
  });
});

describe('PackCache entry index', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterEach(async () => {
    await temp?.remove();
  });
  const open = async (options: { maxBytes?: number } = {}) => {
    const dir = await makeTempDir('mega-pack-cache-');
    temp = dir;
    return new PackCache(dir.path, { maxBytes: options.maxBytes ?? 1 << 20, maxAgeMs: 60_000 });
  };
  const packDir = () => join(temp!.path, 'cache', 'packs');
  const checksum = Buffer.alloc(20, 0xab);
  const storeIndexed = async (cache: PackCache, id: string, index?: Buffer) => {
    const entry = await cache.create(id);
    await entry?.write(Buffer.from('PACK body'));
    await entry?.write(checksum);
    await entry?.commit(index);
  };

  it('keeps the index beside its pack, ended by the pack checksum', async () => {
    const cache = await open();
    await storeIndexed(cache, key('c'), Buffer.from('index bytes'));
    const opened = await cache.openIndexed(key('c'), 20);
    expect(opened?.index.toString()).toBe('index bytes');
    expect(opened?.size).toBe(29);
    await opened?.file.close();
    expect(await cache.openIndexed(key('c'), 32)).toBeUndefined();
  });

  it('gives no index when the pack was committed without one, or another pack replaced it', async () => {
    const cache = await open();
    await storeIndexed(cache, key('d'), Buffer.from('first'));
    await storeIndexed(cache, key('d'));
    expect(await cache.openIndexed(key('d'), 20)).toBeUndefined();
    await storeIndexed(cache, key('e'), Buffer.from('old'));
    const indexFile = join(packDir(), `${key('e')}.entries`);
    const stale = await readFile(indexFile);
    await storeIndexed(cache, key('e'));
    await writeFile(indexFile, Buffer.concat([stale.subarray(0, 3), Buffer.alloc(20, 1)]));
    expect(await cache.openIndexed(key('e'), 20)).toBeUndefined();
  });

  it('gives the index it wrote from memory, and the file once the pack was replaced', async () => {
    const cache = await open();
    await storeIndexed(cache, key('7'), Buffer.from('written'));
    const indexFile = join(packDir(), `${key('7')}.entries`);
    await writeFile(indexFile, Buffer.concat([Buffer.from('on disk'), checksum]));
    const fromMemory = await cache.openIndexed(key('7'), 20);
    expect(fromMemory?.index.toString()).toBe('written');
    await fromMemory?.file.close();
    // Another server sharing the directory replaced the pack and its index.
    await writeFile(
      join(packDir(), `${key('7')}.pack`),
      Buffer.concat([Buffer.from('PACK other'), Buffer.alloc(20, 2)]),
    );
    await writeFile(indexFile, Buffer.concat([Buffer.from('theirs'), Buffer.alloc(20, 2)]));
    const replaced = await cache.openIndexed(key('7'), 20);
    expect(replaced?.index.toString()).toBe('theirs');
    await replaced?.file.close();
    // What was read is kept: the file is not read again.
    await writeFile(indexFile, 'gone');
    const again = await cache.openIndexed(key('7'), 20);
    expect(again?.index.toString()).toBe('theirs');
    await again?.file.close();
  });

  it('forgets the index in memory when the pack is committed again without one', async () => {
    const cache = await open();
    await storeIndexed(cache, key('8'), Buffer.from('first'));
    await storeIndexed(cache, key('8'));
    expect(await cache.openIndexed(key('8'), 20)).toBeUndefined();
  });

  it('removes an index with its pack when pruning', async () => {
    const cache = await open();
    await storeIndexed(cache, key('f'), Buffer.from('f index'));
    await storeIndexed(cache, key('1'), Buffer.from('1 index'));
    await utimes(join(packDir(), `${key('f')}.pack`), new Date(1000), new Date(1000));
    await writeFile(join(packDir(), `${key('2')}.entries`), 'no pack of its own');
    await cache.prune();
    const names = (await readdir(packDir())).sort();
    expect(names).toEqual([`${key('1')}.entries`, `${key('1')}.pack`]);
  });
});
