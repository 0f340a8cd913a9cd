import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isObjectType } from '../../src/git/object.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { PackIndex, writePackIndex } from '../../src/git/pack-index.js';
import { readPack } from '../../src/git/pack-reader.js';
import { MemoryPackSpool, type PackSpool } from '../../src/git/pack-spool.js';
import type { PackedObject, PackReaderOptions } from '../../src/git/pack-types.js';
import { git } from '../support/git-cli.js';
import {
  allObjectIds,
  catFileBatch,
  createFixtureRepo,
  gitObject,
  gitPackOf,
  gitThinPackOf,
  type FixtureRepo,
} from './repo-fixture.js';

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
}

async function decodeAll(pack: Buffer, chunkSize: number, options: PackReaderOptions = {}) {
  const contents = new Map<string, Buffer>();
  const result = await readPack(chunked(pack, chunkSize), {
    ...options,
    onObject: (object, content) => {
      contents.set(object.id, Buffer.from(content.data));
    },
  });
  return { result, contents };
}

/** A spool whose reads settle later, like a file-backed one. */
class AsyncSpool implements PackSpool {
  private readonly memory = new MemoryPackSpool();

  async append(chunk: Buffer): Promise<void> {
    await Promise.resolve();
    this.memory.append(chunk);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    await new Promise((resolve) => setImmediate(resolve));
    return Buffer.from(this.memory.read(offset, length));
  }
}

/** A new spool of the same kind for each read of a pack. */
function freshSpool(options: PackReaderOptions): PackReaderOptions {
  return options.spool ? { spool: new AsyncSpool() } : {};
}

function batchFormat(
  objects: readonly PackedObject[],
  contents: Map<string, Buffer>,
  ids: readonly string[],
): Buffer {
  const byId = new Map(objects.map((o) => [o.id, o]));
  const parts: Buffer[] = [];
  for (const id of ids) {
    const object = byId.get(id as ObjectId)!;
    parts.push(Buffer.from(`${id} ${object.type} ${object.size}\n`), contents.get(id)!, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

describe('pack reader against git', () => {
  let repo: FixtureRepo;
  let ids: string[];
  let expectedBatch: Buffer;

  beforeAll(async () => {
    repo = await createFixtureRepo();
    ids = (await allObjectIds(repo.path)).sort();
    expectedBatch = await catFileBatch(repo.path, ids);
  });
  afterAll(async () => {
    await repo.remove();
  });

  it.each([
    ['REF_DELTA, 64 KiB chunks', [] as string[], 65536, {}],
    ['OFS_DELTA, 1000-byte chunks', ['--delta-base-offset'], 1000, {}],
    ['OFS_DELTA, 7-byte chunks', ['--delta-base-offset'], 7, {}],
    ['OFS_DELTA, fallback inflater', ['--delta-base-offset'], 1500, { forceInflateFallback: true }],
    [
      'tiny caches (bases re-read from the spool)',
      ['--delta-base-offset'],
      4096,
      { baseCacheBytes: 1, deltaCacheBytes: 0 },
    ],
    [
      'OFS_DELTA applied as scanned (a ring of recent contents)',
      ['--delta-base-offset'],
      1000,
      { threads: 1, recentContentBytes: 1 << 20 },
    ],
    [
      'OFS_DELTA, a ring too small for most bases (the rest resolved after the scan)',
      ['--delta-base-offset'],
      4096,
      { threads: 1, recentContentBytes: 4096, baseCacheBytes: 1, deltaCacheBytes: 0 },
    ],
    ['REF_DELTA with a ring', [] as string[], 4096, { threads: 1, recentContentBytes: 1 << 20 }],
  ])('decodes a git pack (%s) to what cat-file --batch prints', async (_name, args, chunkSize, options) => {
    const pack = await gitPackOf(repo.path, args);
    const { result, contents } = await decodeAll(pack, chunkSize, options);
    expect(result.objects.length).toBe(ids.length);
    expect(result.objects.some((o) => o.deltaBase !== undefined)).toBe(true);
    expect(result.objects.every((o) => isObjectType(o.type))).toBe(true);
    expect(batchFormat(result.objects, contents, ids).equals(expectedBatch)).toBe(true);
  });

  it.each([
    ['OFS_DELTA', ['--delta-base-offset'], {}],
    ['REF_DELTA, chains of REF deltas on deltas', [] as string[], {}],
    ['tiny caches', ['--delta-base-offset'], { baseCacheBytes: 1, deltaCacheBytes: 0 }],
    ['an asynchronous spool', ['--delta-base-offset'], { spool: new AsyncSpool(), deltaCacheBytes: 0 }],
  ])('resolves on worker threads exactly as on one thread (%s)', async (_name, args, options) => {
    const pack = await gitPackOf(repo.path, args);
    const single = await decodeAll(pack, 65536, { ...options, ...freshSpool(options) });
    const threaded = await decodeAll(pack, 4096, {
      ...options,
      ...freshSpool(options),
      threads: 2,
      minObjectsForThreads: 0,
    });
    expect(threaded.result.objects).toEqual(single.result.objects);
    expect(new Set(threaded.contents.keys())).toEqual(new Set(ids));
    expect(batchFormat(threaded.result.objects, threaded.contents, ids).equals(expectedBatch)).toBe(true);
    expect(
      writePackIndex(threaded.result.objects, threaded.result.checksum).equals(
        writePackIndex(single.result.objects, single.result.checksum),
      ),
    ).toBe(true);
  });

  it('writes an .idx byte-identical to git index-pack', async () => {
    const pack = await gitPackOf(repo.path, ['--delta-base-offset']);
    const packPath = join(repo.path, 'test.pack');
    await writeFile(packPath, pack);
    await git(['index-pack', '-o', join(repo.path, 'test.idx'), packPath], { cwd: repo.path });
    const gitIdx = await readFile(join(repo.path, 'test.idx'));
    const { result } = await decodeAll(pack, 65536);
    const ours = writePackIndex(result.objects, result.checksum);
    expect(ours.equals(gitIdx)).toBe(true);
    const index = new PackIndex(ours);
    expect(index.count).toBe(ids.length);
    for (const object of result.objects.slice(0, 50)) {
      expect(index.find(object.id)).toEqual({ id: object.id, offset: object.offset, crc32: object.crc32 });
    }
    expect(index.find('0'.repeat(40) as ObjectId)).toBeUndefined();
  });

  it('hands out the raw deflated bytes exactly as they are in the pack', async () => {
    const pack = await gitPackOf(repo.path, ['--delta-base-offset']);
    let checked = 0;
    await readPack(chunked(pack, 65536), {
      onObject: (object, content) => {
        const start = object.offset + object.headerLength;
        expect(content.raw.equals(pack.subarray(start, start + object.compressedLength))).toBe(true);
        checked++;
      },
    });
    expect(checked).toBe(ids.length);
  });

  it('completes a thin pack with bases from a callback', async () => {
    const thin = await gitThinPackOf(repo.path);
    const requested: string[] = [];
    const { result } = await decodeAll(thin, 65536, {
      resolveExternalBase: (id) => {
        requested.push(id);
        return gitObject(repo.path, id);
      },
    });
    expect(result.objects.length).toBeGreaterThan(0);
    expect(requested.length).toBeGreaterThan(0);
    expect(result.externalBases).toEqual(requested);
    await expect(decodeAll(thin, 65536)).rejects.toMatchObject({ code: 'pack_missing_base' });
    const threaded = await decodeAll(thin, 65536, {
      threads: 2,
      minObjectsForThreads: 0,
      resolveExternalBase: (id) => gitObject(repo.path, id),
    });
    expect(threaded.result.objects).toEqual(result.objects);
  });
});
