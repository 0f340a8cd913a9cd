import { deflateSync } from 'node:zlib';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import {
  hostileCase,
  rawCommit,
  rawObject,
  rawPack,
  rawTree,
  type RawObject,
} from '../../tests/support/hostile-objects.js';
import { writePackToBuffer } from '../../tests/support/pack-writer.js';
import { PackFsck } from '../git/pack-fsck.js';
import { ScannedTreeCursor } from '../git/scanned-trees.js';
import { STRICT_FSCK } from '../git/fsck.js';
import type { FsckProblem } from '../git/pack-fsck.js';
import type { MegaError } from '../platform/errors.js';
import { fsckStoredRepository } from './repository-fsck.js';
import { createStorage, type Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { chunked } from '../../tests/support/git-fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

// Every case twice: decoded on the calling thread, and on the decode thread (every pack).
for (const decodeThread of [false, true]) {
  describeEachDialect(
    `ingest runs git fsck on every object${decodeThread ? ' (decode thread)' : ''}`,
    (getDb) => {
      let storage: Storage;
      let relaxed: Storage;
      let counter = 0;
      beforeAll(() => {
        const scratch = getDb();
        const config = {
          databaseUrl: scratch.url,
          dataDir: scratch.dataDir,
          largeObjectThreshold: 1024,
          ...(decodeThread ? { ingestDecodeThreadMinObjects: 1 } : {}),
        };
        storage = createStorage(scratch.database, config);
        relaxed = createStorage(scratch.database, {
          ...config,
          git: { fsckIgnore: ['missingEmail', 'hasDotgit'] },
        });
      });
      const newRepo = () =>
        storage.repositories.create({ path: `/import/fsck-${++counter}`, kind: 'import' });
      const refusal = (promise: Promise<unknown>) =>
        promise.then(
          () => undefined,
          (error: unknown) => error as MegaError,
        );

      it('refuses a hostile pack with the object id and git message id, and keeps none of its objects', async () => {
        const repo = await newRepo();
        const hostile = hostileCase('dotgit-ntfs-short-name');
        const error = await refusal(storage.ingestPack(repo.id, chunked(await rawPack(hostile.objects))));
        expect(error).toMatchObject({ kind: 'invalid', code: 'fsck_failed' });
        expect(error?.message).toBe(`object ${hostile.culprit}: hasDotgit: contains '.git'`);
        expect(error?.details).toMatchObject({ object: hostile.culprit, ids: ['hasDotgit'] });
        expect(
          await storage.objects.has(
            repo.id,
            hostile.objects.map((o) => o.id),
          ),
        ).toEqual(new Set());
      });

      it('refuses a bad commit found late in the pack (after good objects were written)', async () => {
        const repo = await newRepo();
        const filler = Array.from({ length: 50 }, (_, i) => rawObject('blob', `filler ${i}\n`.repeat(200)));
        const hostile = hostileCase('bad-timezone');
        const error = await refusal(
          storage.ingestPack(repo.id, chunked(await rawPack([...filler, ...hostile.objects]))),
        );
        expect(error?.message).toMatch(/badTimezone/);
        expect(
          (
            await storage.objects.has(
              repo.id,
              filler.map((o) => o.id),
            )
          ).size,
        ).toBe(0);
      });

      it('checks links against the objects the repository already holds', async () => {
        const repo = await newRepo();
        const blob = rawObject('blob', 'existing\n');
        await storage.ingestPack(repo.id, chunked(await rawPack([blob])));
        const tree = rawTree([['40000', 'dir', blob.id]]);
        const commit = rawCommit(tree.id);
        const error = await refusal(
          storage.ingestPack(repo.id, chunked(await rawPack([tree, commit])), { collectReferences: true }),
        );
        expect(error?.message).toBe(`object ${tree.id}: ${blob.id} is a blob, not a tree`);
        const good = rawTree([['100644', 'file', blob.id]]);
        const result = await storage.ingestPack(repo.id, chunked(await rawPack([good, rawCommit(good.id)])), {
          collectReferences: true,
        });
        expect(result.externalReferences).toEqual([blob.id]);
      });

      it('checks a .gitmodules blob stored earlier when a new tree names it', async () => {
        const repo = await newRepo();
        const modules = rawObject('blob', '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=evil\n');
        // Stored without checks (as data from before fsck existed would be).
        await storage.writeObjects(repo.id, [{ type: 'blob', data: modules.data }]);
        const tree = rawTree([['100644', '.gitmodules', modules.id]]);
        const error = await refusal(
          storage.ingestPack(repo.id, chunked(await rawPack([tree, rawCommit(tree.id)]))),
        );
        expect(error?.message).toMatch(
          new RegExp(`^object ${modules.id}: gitmodulesUrl: disallowed submodule url`),
        );
      });

      // The decode thread hands whole blobs over without their content: dotfiles named by a tree
      // met before them are checked from the written rows at the end, and still refuse the pack.
      it('checks .gitmodules and .gitattributes blobs that come after the tree naming them', async () => {
        const repo = await newRepo();
        const modules = rawObject('blob', '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=evil\n');
        const tree = rawTree([['100644', '.gitmodules', modules.id]]);
        const error = await refusal(
          storage.ingestPack(repo.id, chunked(await rawPack([tree, modules, rawCommit(tree.id)]))),
        );
        expect(error?.message).toMatch(
          new RegExp(`^object ${modules.id}: gitmodulesUrl: disallowed submodule url`),
        );
        expect(await storage.objects.has(repo.id, [tree.id, modules.id])).toEqual(new Set());
        const attributes = rawObject('blob', `*.txt text\n${'y'.repeat(2100)}\n`);
        const attributesTree = rawTree([['100644', '.gitattributes', attributes.id]]);
        const long = await refusal(
          storage.ingestPack(
            repo.id,
            chunked(await rawPack([attributesTree, attributes, rawCommit(attributesTree.id)])),
          ),
        );
        expect(long?.details).toMatchObject({ ids: ['gitattributesLineLength'] });
        const good = rawObject('blob', '[submodule "x"]\n\tpath = x\n\turl = https://example.com/x\n');
        const goodTree = rawTree([['100644', '.gitmodules', good.id]]);
        const result = await storage.ingestPack(
          repo.id,
          chunked(await rawPack([goodTree, good, rawCommit(goodTree.id)])),
        );
        expect(result.ids.has(good.id)).toBe(true);
      });

      it('refuses a streamed .gitmodules blob as too large, and reads a streamed .gitattributes', async () => {
        const repo = await newRepo();
        const big = rawObject('blob', `[submodule "x"]\n\tpath = x\n#${'x'.repeat(4096)}\n`);
        const tree = rawTree([['100644', '.gitmodules', big.id]]);
        const error = await refusal(
          storage.ingestPack(repo.id, chunked(await rawPack([big, tree, rawCommit(tree.id)]))),
        );
        expect(error?.details).toMatchObject({ ids: ['gitmodulesLarge'] });
        const attributes = rawObject('blob', `${'*.txt text\n'.repeat(300)}${'y'.repeat(2100)}\n`);
        const attributesTree = rawTree([['100644', '.gitattributes', attributes.id]]);
        const packed = [attributes, attributesTree, rawCommit(attributesTree.id)];
        const long = await refusal(storage.ingestPack(repo.id, chunked(await rawPack(packed))));
        expect(long?.details).toMatchObject({ ids: ['gitattributesLineLength'] });
      });

      it('lists what a repository already holds, page by page (fsckStoredRepository)', async () => {
        const repo = await newRepo();
        const hostile = hostileCase('dotgit');
        const filler = Array.from({ length: 2500 }, (_, i) => rawObject('blob', `filler ${i}\n`));
        const fillerTree = rawTree(
          filler
            .map((blob, i) => ['100644', `f${String(i).padStart(5, '0')}`, blob.id] as const)
            .sort((a, b) => (a[1] < b[1] ? -1 : 1)),
        );
        await storage.writeObjects(repo.id, [...filler, fillerTree, ...hostile.objects]);
        const problems: FsckProblem[] = [];
        const stored = await storage.repositories.findById(repo.id);
        const summary = await fsckStoredRepository(storage, stored!, STRICT_FSCK, (p) => problems.push(p));
        expect(summary).toEqual({
          objects: filler.length + 1 + hostile.objects.length,
          errors: 1,
          warnings: 0,
        });
        expect(problems).toEqual([
          {
            object: hostile.culprit,
            severity: 'error',
            id: 'hasDotgit',
            line: `object ${hostile.culprit}: hasDotgit: contains '.git'`,
          },
        ]);
      });

      it('accepts what the configuration ignores, and clean packs', async () => {
        const repo = await newRepo();
        const hostile = hostileCase('missing-email');
        await expect(
          storage.ingestPack(repo.id, chunked(await rawPack(hostile.objects))),
        ).rejects.toMatchObject({
          code: 'fsck_failed',
        });
        const result = await relaxed.ingestPack(repo.id, chunked(await rawPack(hostile.objects)));
        expect(result.ids).toContain(hostile.culprit);
        // Ignoring one id does not ignore the others.
        const other = hostileCase('bad-date');
        await expect(
          relaxed.ingestPack(repo.id, chunked(await rawPack(other.objects))),
        ).rejects.toMatchObject({
          code: 'fsck_failed',
        });
        const clean = hostileCase('clean-tree');
        expect((await storage.ingestPack(repo.id, chunked(await rawPack(clean.objects)))).ids).toContain(
          clean.culprit,
        );
      });

      it.each([
        ['an OFS_DELTA', true],
        ['a REF_DELTA', false],
      ] as const)('checks a tree arriving as %s like a whole one', async (_kind, ofsDelta) => {
        const add = vi.spyOn(PackFsck.prototype, 'add');
        const blob = rawObject('blob', 'content\n');
        const names = Array.from({ length: 40 }, (_, i) => `file-${String(i).padStart(2, '0')}`);
        const base = rawTree(names.map((name) => ['100644', name, blob.id] as const));
        const packOf = (target: RawObject) =>
          writePackToBuffer(
            [
              { kind: 'object', type: 'blob', data: blob.data, id: blob.id },
              { kind: 'object', type: 'tree', data: base.data, id: base.id },
              {
                kind: 'delta',
                id: target.id,
                baseId: base.id,
                raw: deflateSync(insertDelta(base.data, target.data)),
              },
              {
                kind: 'object',
                type: 'commit',
                data: rawCommit(target.id).data,
                id: rawCommit(target.id).id,
              },
            ],
            { ofsDelta },
          ).then((written) => chunked(written.pack));
        // The base's entries, then `.git` (sorted after them: no other finding).
        const hostile = rawTree([
          ...names.map((name) => ['100644', name, blob.id] as const),
          ['100644', '.git', blob.id],
        ]);
        const hostileRepo = await newRepo();
        const error = await refusal(storage.ingestPack(hostileRepo.id, await packOf(hostile)));
        expect(error).toMatchObject({ kind: 'invalid', code: 'fsck_failed' });
        expect(error?.message).toMatch(new RegExp(`^object ${hostile.id}: (hasDotgit|treeNotSorted)`));
        expect(error?.details).toMatchObject({ object: hostile.id });
        expect(await storage.objects.has(hostileRepo.id, [blob.id, base.id, hostile.id])).toEqual(new Set());
        // What the configuration ignores is ignored on the decode thread too.
        const dotgitOnly = rawTree([
          ['100644', '.git', blob.id],
          ...names.map((name) => ['100644', name, blob.id] as const),
        ]);
        const relaxedRepo = await newRepo();
        expect((await relaxed.ingestPack(relaxedRepo.id, await packOf(dotgitOnly))).ids).toContain(
          dotgitOnly.id,
        );
        // A clean tree as a delta, with a subdirectory: its links are checked (the subtree is the base).
        const clean = rawTree([
          ['100644', 'a', blob.id],
          ['40000', 'sub', base.id],
        ]);
        const cleanRepo = await newRepo();
        const result = await storage.ingestPack(cleanRepo.id, await packOf(clean), { collectGraph: true });
        expect(result.ids).toContain(clean.id);
        expect(result.graph?.usable).toBe(true);
        // A blob named as a directory (the base names it as a file): links come from the scan sent across.
        const wrongType = rawTree([
          ['100644', 'a', blob.id],
          ['40000', 'sub', blob.id],
        ]);
        const wrongRepo = await newRepo();
        const wrong = await refusal(storage.ingestPack(wrongRepo.id, await packOf(wrongType)));
        expect(wrong?.message).toMatch(`${blob.id} is pointed to both as a tree and as a blob`);
        // On the decode thread every tree came scanned; on the calling thread none did.
        const trees = add.mock.calls.filter((call) => call[1] === 'tree');
        expect(trees.length).toBeGreaterThan(0);
        for (const call of trees) expect(call[5] instanceof ScannedTreeCursor).toBe(decodeThread);
      });
    },
  );
}

/** A delta from `base` to `target` that only inserts (gitformat-pack: sizes, then insert ops). */
function insertDelta(base: Buffer, target: Buffer): Buffer {
  const bytes: number[] = [...deltaSize(base.length), ...deltaSize(target.length)];
  for (let at = 0; at < target.length; at += 127) {
    const part = target.subarray(at, at + 127);
    bytes.push(part.length, ...part);
  }
  return Buffer.from(bytes);
}

function deltaSize(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}
