import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { applyDelta } from '../git/delta.js';
import type { ObjectId } from '../git/object-id.js';
import { isMegaError } from '../platform/errors.js';
import { openDatabase } from './open-database.js';
import { createStorage, type Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import {
  chunked,
  dumpObjects,
  failingAfter,
  makeRepo,
  makeRepository,
  packOf,
  revParse,
  type GitObjectDump,
} from '../../tests/support/git-fixtures.js';

const LARGE_THRESHOLD = 64 * 1024;

let work: { path: string; remove: () => Promise<void> };
let repoDir: string;
let fullPack: Buffer;
/** One commit of 150 files: a batch big enough for the binary COPY of rows (PostgreSQL). */
let widePack: Buffer;
let wideObjects: Map<string, GitObjectDump>;
/** 40 of the wide pack's 150 blobs (their ids spread over its statements), in a commit of their own. */
let partPack: Buffer;
let partIds: Set<string>;
let objects: Map<string, GitObjectDump>;
let first: ObjectId;
let head: ObjectId;

beforeAll(async () => {
  work = await makeTempDir('mega-ingest-');
  repoDir = join(work.path, 'source');
  await makeRepository(repoDir, { commits: 6, largeFileBytes: 200 * 1024 });
  fullPack = await packOf(repoDir, ['--all']);
  objects = await dumpObjects(repoDir);
  first = (await revParse(repoDir, 'HEAD~5')) as ObjectId;
  head = (await revParse(repoDir, 'HEAD')) as ObjectId;
  const wideDir = join(work.path, 'wide');
  await makeRepo(wideDir, [
    Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}.txt`, `file ${i}\n`])),
  ]);
  widePack = await packOf(wideDir, ['--all']);
  wideObjects = await dumpObjects(wideDir);
  const partDir = join(work.path, 'part');
  await makeRepo(partDir, [
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`g${i}.txt`, `file ${i * 3}\n`])),
  ]);
  partPack = await packOf(partDir, ['--all']);
  partIds = new Set((await dumpObjects(partDir)).keys());
});
afterAll(async () => {
  await work.remove();
});

// Every case twice: decoded on the calling thread, and on a decode thread (every pack, however small).
for (const decodeThread of [false, true]) {
  describeEachDialect(decodeThread ? 'ingest on a decode thread' : 'ingest', (getDb) => {
    let storage: Storage;
    let counter = 0;
    beforeAll(() => {
      storage = scratchStorage(
        getDb(),
        LARGE_THRESHOLD,
        decodeThread ? { ingestDecodeThreadMinObjects: 1 } : {},
      );
    });
    const newRepo = () =>
      storage.repositories.create({ path: `/import/ingest-${++counter}`, kind: 'import' });
    const rowCount = async () =>
      Number(
        (
          await getDb()
            .database.db.selectFrom('raw_objects')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('stores every object of a pack and reads each back byte for byte', async () => {
      const repo = await newRepo();
      const result = await storage.ingestPack(repo.id, chunked(fullPack));
      expect(new Set(result.ids)).toEqual(new Set(objects.keys()));
      expect(result.deltas).toBeGreaterThan(0);
      expect(result.chunked).toBe(1);
      for (const [id, expected] of objects) {
        const stored = await storage.objects.read(repo.id, id);
        expect(stored?.type).toBe(expected.type);
        expect(stored?.data.equals(expected.data)).toBe(true);
      }
      expect((await storage.objects.has(repo.id, [...objects.keys()])).size).toBe(objects.size);
      let read = 0;
      for await (const object of storage.objects.readMany(repo.id, [...objects.keys()].reverse(), 11)) {
        expect(object.data.equals(objects.get(object.id)!.data)).toBe(true);
        read++;
      }
      expect(read).toBe(objects.size);
    });

    it('keeps pack-ready bytes: whole objects inflate to the content, deltas apply to their base', async () => {
      const repo = await newRepo();
      await storage.ingestPack(repo.id, chunked(fullPack));
      let deltas = 0;
      let seen = 0;
      for (const entry of await storage.objects.packReady(repo.id, [...objects.keys()], undefined, 1e9)) {
        expect(objects.has(entry.id)).toBe(true);
        seen++;
      }
      expect(seen).toBe(objects.size);
      for (const entry of await storage.objects.packReady(repo.id, [...objects.keys()], undefined, 7)) {
        const expected = objects.get(entry.id)!;
        expect(entry.size).toBe(expected.data.length);
        const payload = inflateSync(
          Buffer.isBuffer(entry.deflated) ? entry.deflated : await buffer(entry.deflated()),
        );
        expect(payload.length).toBe(entry.payloadSize);
        if (entry.deltaBase) {
          deltas++;
          expect(applyDelta(objects.get(entry.deltaBase)!.data, payload).equals(expected.data)).toBe(true);
        } else {
          expect(payload.equals(expected.data)).toBe(true);
        }
      }
      expect(deltas).toBeGreaterThan(0);
    });

    it('parses commits for graph walks and peels annotated tags, also nested ones', async () => {
      const repo = await newRepo();
      await storage.ingestPack(repo.id, chunked(fullPack));
      const commits = await storage.objects.readCommits(repo.id, [head, first, 'f'.repeat(40)]);
      expect(commits.size).toBe(2);
      expect(commits.get(first)?.parents).toEqual([]);
      expect(commits.get(head)?.parents).toEqual([await revParse(repoDir, 'HEAD~1')]);
      expect(commits.get(head)?.committerTime).toBe(1700000000);
      expect(await storage.objects.peel(repo.id, head)).toEqual({ id: head, type: 'commit' });
      const tagged = await revParse(repoDir, 'HEAD~1');
      const [inner, outer] = [await revParse(repoDir, 'v1'), await revParse(repoDir, 'v1-outer')];
      const peeled = await storage.objects.peelMany(repo.id, [inner, outer, head, 'e'.repeat(40)]);
      expect(peeled.get(inner as ObjectId)).toEqual({ id: tagged, type: 'commit' });
      expect(peeled.get(outer as ObjectId)).toEqual({ id: tagged, type: 'commit' });
      expect(peeled.size).toBe(3);
    });

    it('puts large objects in content-addressed chunk rows and streams them inflated', async () => {
      const repo = await newRepo();
      await storage.ingestPack(repo.id, chunked(fullPack));
      const large = [...objects].find(([, object]) => object.data.length >= LARGE_THRESHOLD)!;
      const row = await getDb()
        .database.db.selectFrom('raw_objects')
        .select(['storage_type', 'path', 'data'])
        .where('git_id', '=', large[0])
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        storage_type: 'chunks',
        path: null,
        data: null,
      });
      const chunkRows = await getDb()
        .database.db.selectFrom('object_chunks')
        .select('seq')
        .where('git_id', '=', large[0])
        .execute();
      expect(chunkRows.length).toBeGreaterThan(0);
      const opened = await storage.objects.openContent(repo.id, large[0]);
      const chunks: Buffer[] = [];
      for await (const chunk of opened!.stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(large[1].data)).toBe(true);
    });

    it('resolves a thin pack from the repository own objects only', async () => {
      const base = await newRepo();
      await storage.ingestPack(base.id, chunked(await packOf(repoDir, [first])));
      const thin = await packOf(repoDir, [head], { excluded: [first], thin: true });
      const result = await storage.ingestPack(base.id, chunked(thin));
      expect(result.externalBases.length).toBeGreaterThan(0);
      expect((await storage.objects.read(base.id, head))?.type).toBe('commit');
      // The pack's objects, and not the bases it borrowed (the writer knows those too).
      expect(result.ids.size).toBe(thin.readUInt32BE(8));
      expect(result.ids.has(head)).toBe(true);
      for (const id of result.externalBases) expect(result.ids.has(id)).toBe(false);

      // Another repository cannot borrow those bases, even though the rows exist.
      const stranger = await newRepo();
      const before = await rowCount();
      await expect(storage.ingestPack(stranger.id, chunked(thin))).rejects.toMatchObject({
        code: 'pack_missing_base',
      });
      expect(await rowCount()).toBe(before);
      expect((await storage.objects.has(stranger.id, [head])).size).toBe(0);
    });

    it('isolates repositories that store the same objects', async () => {
      const owner = await newRepo();
      const other = await newRepo();
      await storage.ingestPack(owner.id, chunked(fullPack));
      expect(await storage.objects.read(other.id, head)).toBeUndefined();
      expect(await storage.objects.readHeader(other.id, head)).toBeUndefined();
      expect((await storage.objects.readCommits(other.id, [head])).size).toBe(0);
      for await (const object of storage.objects.readMany(other.id, [head, first]))
        expect(object).toBeUndefined();
      await expect(storage.objects.packReady(other.id, [head])).rejects.toMatchObject({
        code: 'object_missing',
      });
    });

    it('rolls back an ingest whose stream fails halfway: nothing visible, no chunks, no temp files', async () => {
      const repo = await newRepo();
      const before = await rowCount();
      const chunkCountBefore = Number(
        (
          await getDb()
            .database.db.selectFrom('object_chunks')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      const error = await storage
        .ingestPack(repo.id, failingAfter(fullPack, Math.floor(fullPack.length * 0.9)))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await rowCount()).toBe(before);
      expect((await storage.objects.has(repo.id, [...objects.keys()])).size).toBe(0);
      const chunkCount = await getDb()
        .database.db.selectFrom('object_chunks')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(chunkCount.n)).toBe(chunkCountBefore);
      expect(await readdir(join(getDb().dataDir, 'tmp')).catch(() => [])).toEqual([]);
    });

    it('keeps the row keys of a first push whose objects are partly stored; a failed one leaves nothing', async () => {
      await storage.ingestPack((await newRepo()).id, chunked(partPack));
      const repo = await newRepo();
      const before = await rowCount();
      const failed = await storage
        .ingestPack(repo.id, failingAfter(widePack, Math.floor(widePack.length * 0.9)), {
          collectGraph: true,
        })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      expect(await rowCount()).toBe(before);
      const result = await storage.ingestPack(repo.id, chunked(widePack), { collectGraph: true });
      expect(await rowCount()).toBe(
        before + wideObjects.size - [...wideObjects.keys()].filter((id) => partIds.has(id)).length,
      );
      const written = result.writtenRowKeys;
      // Only SQLite's inserts tell their keys.
      if (!getDb().database.runPreparedBatch) return;
      const ids = [...wideObjects.keys()];
      const rows = await getDb()
        .database.db.selectFrom('raw_objects')
        .select(['id', 'git_id'])
        .where('git_id', 'in', ids)
        .execute();
      const keyOf = new Map(rows.map((row) => [row.git_id, Number(row.id)]));
      const told = ids.map((id) => written!.rowKeyOf(Buffer.from(id, 'hex'), 0));
      expect(told).toEqual(ids.map((id) => (partIds.has(id) ? 0 : keyOf.get(id))));
      expect(told.filter((key) => key === 0)).toHaveLength(40);
    });

    it('refuses to store objects for a repository that no longer exists', async () => {
      const repo = await newRepo();
      await storage.repositories.delete(repo.id);
      const before = await rowCount();
      const error = await storage.ingestPack(repo.id, chunked(fullPack, 4096)).catch((e: unknown) => e);
      expect(isMegaError(error, 'not_found')).toBe(true);
      expect(await rowCount()).toBe(before);
      const members = await getDb()
        .database.db.selectFrom('repository_objects')
        .select('git_id')
        .where('repo_id', '=', repo.id)
        .execute();
      expect(members).toEqual([]);
    });

    it('rejects truncated and corrupt packs with a typed error and stores nothing', async () => {
      const repo = await newRepo();
      const before = await rowCount();
      const corrupt = Buffer.from(fullPack);
      corrupt[corrupt.length - 30] = corrupt[corrupt.length - 30]! ^ 0xff;
      for (const bad of [
        fullPack.subarray(0, fullPack.length - 10),
        corrupt,
        Buffer.from('PACK garbage'),
        Buffer.alloc(0),
      ]) {
        const error = await storage.ingestPack(repo.id, chunked(bad)).catch((e: unknown) => e);
        expect(isMegaError(error)).toBe(true);
      }
      expect(await rowCount()).toBe(before);
    });

    it('stores the same objects from two concurrent ingests once, visible to both repositories', async () => {
      const a = await newRepo();
      const b = await newRepo();
      const results = await Promise.all([
        storage.ingestPack(a.id, chunked(fullPack)),
        storage.ingestPack(b.id, chunked(fullPack)),
      ]);
      expect(results[0].ids.size).toBe(objects.size);
      expect(results[1].ids.size).toBe(objects.size);
      const rows = await getDb()
        .database.db.selectFrom('raw_objects')
        .select('git_id')
        .where('git_id', 'in', [...objects.keys()])
        .execute();
      expect(rows.length).toBe(objects.size);
      for (const repo of [a, b])
        expect((await storage.objects.has(repo.id, [...objects.keys()])).size).toBe(objects.size);
    });

    it('stores the same objects from two connections at once (two server processes)', async () => {
      const scratch = getDb();
      const other = openDatabase(scratch.url);
      try {
        const second = createStorage(other, {
          databaseUrl: scratch.url,
          dataDir: scratch.dataDir,
          largeObjectThreshold: LARGE_THRESHOLD,
        });
        const a = await newRepo();
        const b = await newRepo();
        await Promise.all([
          storage.ingestPack(a.id, chunked(fullPack)),
          second.ingestPack(b.id, chunked(fullPack)),
        ]);
        for (const repo of [a, b])
          expect((await storage.objects.has(repo.id, [...objects.keys()])).size).toBe(objects.size);
        let read = 0;
        for await (const object of second.objects.readMany(a.id, [...objects.keys()])) {
          expect(object.data.equals(objects.get(object.id)!.data)).toBe(true);
          read++;
        }
        expect(read).toBe(objects.size);
      } finally {
        await other.close();
      }
    });

    it('stores a big batch once from two connections at once, and again into a third repository', async () => {
      const scratch = getDb();
      const other = openDatabase(scratch.url);
      try {
        const second = createStorage(other, {
          databaseUrl: scratch.url,
          dataDir: scratch.dataDir,
          largeObjectThreshold: LARGE_THRESHOLD,
        });
        const [a, b, c] = [await newRepo(), await newRepo(), await newRepo()];
        const ids = [...wideObjects.keys()];
        // Racing binary COPYs of the same rows: the later one waits, then skips what is stored.
        await Promise.all([
          storage.ingestPack(a.id, chunked(widePack)),
          second.ingestPack(b.id, chunked(widePack)),
        ]);
        // Every row is stored already: the COPY meets a stored key and the batch is inserted instead.
        await storage.ingestPack(c.id, chunked(widePack));
        for (const repo of [a, b, c]) expect((await storage.objects.has(repo.id, ids)).size).toBe(ids.length);
        const rows = await scratch.database.db
          .selectFrom('raw_objects')
          .select('git_id')
          .where('git_id', 'in', ids)
          .execute();
        expect(rows.length).toBe(ids.length);
        for await (const object of second.objects.readMany(c.id, ids))
          expect(object.data.equals(wideObjects.get(object.id)!.data)).toBe(true);
      } finally {
        await other.close();
      }
    });

    it('commits an ingest and a ref update together, or neither', async () => {
      const repo = await newRepo();
      await expect(
        storage.transaction(async (tx) => {
          await tx.ingestPack(repo.id, chunked(fullPack));
          await tx.refs.updateAtomic(repo.id, [
            { name: 'refs/heads/main', oldId: 'a'.repeat(40), newId: head },
          ]);
        }),
      ).rejects.toMatchObject({ code: 'ref_conflict' });
      expect(await storage.refs.get(repo.id, 'refs/heads/main')).toBeUndefined();
      expect((await storage.objects.has(repo.id, [head])).size).toBe(0);
      await storage.transaction(async (tx) => {
        await tx.ingestPack(repo.id, chunked(fullPack));
        await tx.refs.updateAtomic(repo.id, [
          { name: 'refs/heads/main', oldId: '0'.repeat(40), newId: head },
        ]);
      });
      expect(await storage.refs.get(repo.id, 'refs/heads/main')).toBe(head);
    });

    it('keeps answering other queries while a slow client is still sending its pack', async () => {
      const repo = await newRepo();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      async function* slowClient(): AsyncGenerator<Buffer> {
        yield fullPack.subarray(0, fullPack.length >> 1);
        await gate;
        yield fullPack.subarray(fullPack.length >> 1);
      }
      const ingest = storage.ingestPack(repo.id, slowClient());
      // Would never resolve (and time the test out) if the ingest held the only connection.
      expect((await storage.repositories.find(repo.path))?.id).toBe(repo.id);
      expect(await storage.refs.list(repo.id)).toEqual([]);
      release();
      expect((await ingest).ids.size).toBe(objects.size);
    });

    /** Git over SSH: the pack, then a client that keeps its side open until it has the report. */
    async function* openChannel(pack: Buffer, gate?: Promise<void>): AsyncGenerator<Buffer> {
      yield pack.subarray(0, pack.length >> 1);
      await gate;
      yield pack.subarray(pack.length >> 1);
      await new Promise<never>(() => undefined);
    }

    it('ends a pack at its trailer while the client keeps sending side open, and stays responsive', async () => {
      const repo = await newRepo();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const ingest = storage.ingestPack(repo.id, openChannel(fullPack, gate), { stopAtTrailer: true });
      expect((await storage.repositories.find(repo.path))?.id).toBe(repo.id);
      release();
      expect((await ingest).ids.size).toBe(objects.size);
      expect((await storage.objects.has(repo.id, [...objects.keys()])).size).toBe(objects.size);
    });

    it('refuses, with the input open, bytes after the trailer, a bad trailer and a short pack; stores nothing', async () => {
      const repo = await newRepo();
      const before = await rowCount();
      const badTrailer = Buffer.from(fullPack);
      badTrailer[badTrailer.length - 1] = badTrailer[badTrailer.length - 1]! ^ 1;
      const truncated = async function* () {
        yield fullPack.subarray(0, fullPack.length - 100);
      };
      const cases: [AsyncIterable<Buffer>, string][] = [
        [openChannel(Buffer.concat([fullPack, Buffer.from('0000')])), 'pack_trailing_garbage'],
        [openChannel(badTrailer), 'pack_bad_checksum'],
        [truncated(), 'pack_truncated'],
      ];
      for (const [source, code] of cases) {
        await expect(storage.ingestPack(repo.id, source, { stopAtTrailer: true })).rejects.toMatchObject({
          code,
        });
      }
      await expect(
        storage.ingestPack(repo.id, openChannel(fullPack), {
          stopAtTrailer: true,
          limits: { maxPackSize: 1000 },
        }),
      ).rejects.toMatchObject({ code: 'pack_too_large' });
      expect(await rowCount()).toBe(before);
      expect(await readdir(join(getDb().dataDir, 'tmp')).catch(() => [])).toEqual([]);
    });

    it('enforces pack limits before storing anything', async () => {
      const repo = await newRepo();
      const before = await rowCount();
      await expect(
        storage.ingestPack(repo.id, chunked(fullPack), { limits: { maxObjects: 5 } }),
      ).rejects.toMatchObject({
        kind: 'too_large',
      });
      await expect(
        storage.ingestPack(repo.id, chunked(fullPack), { limits: { maxObjectSize: 1000 } }),
      ).rejects.toMatchObject({ kind: 'too_large' });
      await expect(
        storage.ingestPack(repo.id, chunked(fullPack), { limits: { maxPackSize: 1000 } }),
      ).rejects.toMatchObject({ code: 'pack_too_large' });
      expect(await rowCount()).toBe(before);
    });

    it('stores commits whose text holds NUL bytes and odd identities', async () => {
      const repo = await newRepo();
      const tree = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
      const text = `tree ${tree}\nauthor Odd \u0000 <x@y> 99999999999 +0000\ncommitter no date <x@y>\n\nmessage with \u0000 NUL\n`;
      const [id] = await storage.writeObjects(repo.id, [{ type: 'commit', data: Buffer.from(text) }]);
      expect((await storage.objects.read(repo.id, id!))?.data.toString()).toBe(text);
      const commit = (await storage.objects.readCommits(repo.id, [id!])).get(id!);
      expect(commit).toMatchObject({ tree, parents: [], committerTime: 0 });
      const row = await getDb()
        .database.db.selectFrom('commit')
        .select('author_time')
        .where('git_id', '=', id!)
        .executeTakeFirstOrThrow();
      expect(Number(row.author_time)).toBe(99999999999);
    });

    it('writes server-made objects and answers hostile ids with "absent"', async () => {
      const repo = await newRepo();
      const [blob] = await storage.writeObjects(repo.id, [{ type: 'blob', data: Buffer.from('hello\n') }]);
      expect(blob).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
      expect((await storage.objects.read(repo.id, blob!))?.data.toString()).toBe('hello\n');
      for (const id of [
        '',
        '../../etc/passwd',
        'CE013625030BA8DBA906F756967F9E9CA394464A',
        `${blob}' or '1'='1`,
        'z'.repeat(40),
      ]) {
        expect(await storage.objects.read(repo.id, id)).toBeUndefined();
        expect((await storage.objects.has(repo.id, [id])).size).toBe(0);
      }
    });
  });
}
