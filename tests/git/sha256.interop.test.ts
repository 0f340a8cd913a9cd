import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommit, serializeCommit } from '../../src/git/commit.js';
import { fsckObject } from '../../src/git/fsck.js';
import { hashObject, isObjectType, type ObjectType } from '../../src/git/object.js';
import { SHA256 } from '../../src/git/object-format.js';
import { isObjectId, type ObjectId } from '../../src/git/object-id.js';
import { PackIndex, writePackIndex } from '../../src/git/pack-index.js';
import { readPack } from '../../src/git/pack-reader.js';
import type { PackedObject, PackReaderOptions } from '../../src/git/pack-types.js';
import { writePackToBuffer, type PackWriteEntry, type PackWriterOptions } from '../support/pack-writer.js';
import { parseTag, serializeTag } from '../../src/git/tag.js';
import { parseTree, serializeTree, sortTreeEntries } from '../../src/git/tree.js';
import { git, gitText } from '../support/git-cli.js';
import {
  allObjectIds,
  catFileBatch,
  createFixtureRepo,
  gitObject,
  gitPackOf,
  gitThinPackOf,
  type FixtureRepo,
} from './repo-fixture.js';

function roundTrip(type: ObjectType, data: Buffer): Buffer {
  if (type === 'commit') return serializeCommit(parseCommit(data));
  if (type === 'tag') return serializeTag(parseTag(data));
  if (type === 'tree') return serializeTree(parseTree(data, SHA256));
  return data;
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < data.length; pos += size) yield data.subarray(pos, pos + size);
}

interface Decoded {
  readonly objects: readonly PackedObject[];
  readonly checksum: Buffer;
  readonly contents: Map<string, Buffer>;
}

async function decodeSha256(pack: Buffer, options: PackReaderOptions = {}): Promise<Decoded> {
  const contents = new Map<string, Buffer>();
  const result = await readPack(chunked(pack, 4096), {
    ...options,
    format: SHA256,
    onObject: (object, content) => {
      contents.set(object.id, Buffer.from(content.data));
    },
  });
  return { objects: result.objects, checksum: result.checksum, contents };
}

/** What `git cat-file --batch` prints for `ids`, rebuilt from a decoded pack. */
function batchOf(decoded: Decoded, ids: readonly string[]): Buffer {
  const byId = new Map(decoded.objects.map((o) => [o.id, o]));
  return Buffer.concat(
    ids.flatMap((id) => {
      const object = byId.get(id as ObjectId)!;
      return [
        Buffer.from(`${id} ${object.type} ${object.size}\n`),
        decoded.contents.get(id)!,
        Buffer.from('\n'),
      ];
    }),
  );
}

describe('SHA-256 repositories against git', () => {
  let repo: FixtureRepo;
  let ids: string[];
  let expectedBatch: Buffer;

  beforeAll(async () => {
    repo = await createFixtureRepo('sha256');
    ids = (await allObjectIds(repo.path)).sort();
    expectedBatch = await catFileBatch(repo.path, ids);
  });
  afterAll(async () => {
    await repo.remove();
  });

  it('is really a SHA-256 repository', async () => {
    expect(await gitText(['rev-parse', '--show-object-format'], { cwd: repo.path })).toBe('sha256');
    expect(ids.length).toBeGreaterThan(20);
    expect(ids.every((id) => isObjectId(id, SHA256))).toBe(true);
  });

  it.each([
    ['OFS_DELTA', ['--delta-base-offset'], {}],
    ['REF_DELTA', [] as string[], {}],
    ['OFS_DELTA on worker threads', ['--delta-base-offset'], { threads: 2, minObjectsForThreads: 0 }],
    ['REF_DELTA on worker threads', [] as string[], { threads: 2, minObjectsForThreads: 0 }],
  ])('decodes a git pack (%s) to what cat-file --batch prints', async (_name, args, options) => {
    const pack = await gitPackOf(repo.path, args);
    const decoded = await decodeSha256(pack, options);
    expect(decoded.objects).toHaveLength(ids.length);
    expect(decoded.objects.some((o) => o.deltaBase !== undefined)).toBe(true);
    expect(decoded.objects.every((o) => isObjectType(o.type) && isObjectId(o.id, SHA256))).toBe(true);
    expect(batchOf(decoded, ids).equals(expectedBatch)).toBe(true);
  });

  it('parses, re-serialises and fscks every object git wrote', async () => {
    const decoded = await decodeSha256(await gitPackOf(repo.path, ['--delta-base-offset']));
    expect(new Set(decoded.objects.map((o) => o.type))).toEqual(new Set(['commit', 'tree', 'blob', 'tag']));
    for (const object of decoded.objects) {
      const data = decoded.contents.get(object.id)!;
      const again = roundTrip(object.type, data);
      expect(again.equals(data)).toBe(true);
      expect(hashObject(object.type, again, SHA256)).toBe(object.id);
      expect(fsckObject(object.type, data, SHA256)).toEqual([]);
    }
    const tree = decoded.objects.find((o) => o.type === 'tree')!;
    const entries = parseTree(decoded.contents.get(tree.id)!, SHA256);
    expect(entries.every((entry) => isObjectId(entry.id, SHA256))).toBe(true);
    expect(sortTreeEntries(entries)).toEqual(entries);
  });

  it('hashes objects as git does', async () => {
    const blob = await gitText(['rev-parse', 'HEAD:renamed-notes.md'], { cwd: repo.path });
    const content = (await git(['cat-file', 'blob', blob], { cwd: repo.path })).stdout;
    expect(hashObject('blob', content, SHA256)).toBe(blob);
  });

  it.each([
    ['one thread', {}],
    ['worker threads', { threads: 2, minObjectsForThreads: 0 }],
  ])('writes an .idx byte-identical to git index-pack --object-format=sha256 (%s)', async (name, options) => {
    const pack = await gitPackOf(repo.path, ['--delta-base-offset']);
    const packPath = join(repo.path, `sha256-${name.replace(/ /g, '-')}.pack`);
    const idxPath = packPath.replace(/\.pack$/, '.idx');
    await writeFile(packPath, pack);
    await git(['index-pack', '--object-format=sha256', '-o', idxPath, packPath], { cwd: repo.path });
    const decoded = await decodeSha256(pack, options);
    const ours = writePackIndex(decoded.objects, decoded.checksum, SHA256);
    expect(ours.equals(await readFile(idxPath))).toBe(true);
    const index = new PackIndex(ours, SHA256);
    expect(index.count).toBe(ids.length);
    expect(index.packChecksum.equals(decoded.checksum)).toBe(true);
    for (const object of decoded.objects.slice(0, 20)) {
      expect(index.find(object.id)).toEqual({ id: object.id, offset: object.offset, crc32: object.crc32 });
    }
  });

  it.each([
    ['OFS deltas', { ofsDelta: true }],
    ['REF deltas', { ofsDelta: false }],
    ['no delta search', { window: 0 }],
  ] as [string, PackWriterOptions][])(
    'writes packs git index-pack --strict --object-format=sha256 accepts (%s)',
    async (name, options) => {
      const decoded = await decodeSha256(await gitPackOf(repo.path, ['--delta-base-offset']));
      const entries: PackWriteEntry[] = decoded.objects.map((object) => ({
        kind: 'object',
        type: object.type,
        data: decoded.contents.get(object.id)!,
      }));
      const { pack, summary } = await writePackToBuffer(entries, { ...options, format: SHA256 });
      const target = join(repo.path, `accepts-${name.replace(/ /g, '-')}`);
      await git(['init', '-q', '--bare', '--object-format=sha256', target]);
      await mkdir(join(target, 'objects/pack'), { recursive: true });
      const packPath = join(target, 'objects/pack/incoming.pack');
      await writeFile(packPath, pack);
      await git(['index-pack', '--strict', '--object-format=sha256', packPath], { cwd: target });
      const head = await gitText(['rev-parse', 'HEAD'], { cwd: repo.path });
      await git(['update-ref', 'refs/heads/main', head], { cwd: target });
      await git(['fsck', '--strict', '--no-dangling'], { cwd: target });
      // Our own .idx of our pack equals the one git just wrote next to it.
      const gitIdx = await readFile(packPath.replace(/\.pack$/, '.idx'));
      expect(writePackIndex(summary.objects, summary.checksum, SHA256).equals(gitIdx)).toBe(true);
      const again = await decodeSha256(pack);
      expect(again.objects.map((o) => o.id).sort()).toEqual(ids);
      if (options.window !== 0) expect(again.objects.some((o) => o.deltaBase !== undefined)).toBe(true);
    },
  );

  it('reads a thin SHA-256 pack with bases from a callback', async () => {
    const thin = await gitThinPackOf(repo.path);
    const requested: string[] = [];
    const decoded = await decodeSha256(thin, {
      resolveExternalBase: (id) => {
        requested.push(id);
        return gitObject(repo.path, id);
      },
    });
    expect(decoded.objects.length).toBeGreaterThan(0);
    expect(requested.every((id) => isObjectId(id, SHA256))).toBe(true);
  });
});
