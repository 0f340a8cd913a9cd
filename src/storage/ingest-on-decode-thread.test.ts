import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { chunked, makeRepository, packOf } from '../../tests/support/git-fixtures.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import { git } from '../../tests/support/git-cli.js';
import { SHA1 } from '../git/object-format.js';
import { hashObject } from '../git/object.js';
import { DecodeThread } from './decode-thread.js';
import { ObjectWriter } from './object-writer.js';
import type { Storage } from './storage.js';

let work: { path: string; remove: () => Promise<void> };
let pack: Buffer;

beforeAll(async () => {
  work = await makeTempDir('mega-decode-thread-');
  const repoDir = join(work.path, 'source');
  await makeRepository(repoDir, { commits: 4 });
  pack = await packOf(repoDir, ['--all']);
});
afterAll(async () => {
  await work.remove();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A fast-import stream of `commits` commits, each rewriting a line of three of 100 files: a pack of
 * a few thousand objects, so the decode thread sends many batches and the writer flushes rows
 * between them.
 */
function manyObjectsStream(commits: number): string {
  const files = Array.from({ length: 100 }, (_, f) =>
    Array.from({ length: 40 }, (_, n) => `file ${f} line ${n}`),
  );
  const parts: string[] = [];
  for (let c = 0; c < commits; c++) {
    const message = `change ${c}\n`;
    parts.push(`commit refs/heads/main\ncommitter T <t@example.com> ${1700000000 + c} +0000\n`);
    parts.push(`data ${message.length}\n${message}`);
    for (const f of [c % 100, (c * 7 + 3) % 100, (c * 13 + 5) % 100]) {
      files[f]![c % 40] = `file ${f} line ${c % 40} edited in ${c}`;
      const body = `${files[f]!.join('\n')}\n`;
      parts.push(`M 100644 inline d${f % 10}/f${f}.txt\ndata ${body.length}\n${body}`);
    }
    parts.push('\n');
  }
  return parts.join('');
}

describeEachDialect('ingest on the decode thread, batch buffers', (getDb, dialect) => {
  it('hands written batches back for reuse on SQLite and stores every object intact', async () => {
    const repoDir = join(work.path, `many-${dialect}`);
    await git(['init', '-q', '--bare', repoDir]);
    await git(['fast-import', '--quiet'], { cwd: repoDir, input: manyObjectsStream(400) });
    const many = await packOf(repoDir, ['--all']);
    const recycle = vi.spyOn(DecodeThread.prototype, 'recycle');
    const storage = scratchStorage(getDb(), 64 * 1024, { ingestDecodeThreadMinObjects: 1 });
    const repo = await storage.repositories.create({ path: '/import/many', kind: 'import' });
    const result = await storage.ingestPack(repo.id, chunked(many, 1 << 16));
    expect(result.ids.size).toBe(many.readUInt32BE(8));
    // Only SQLite's writer tells when it holds no view of a batch (`ObjectWriter.rowsReleased`).
    if (dialect === 'sqlite') expect(recycle.mock.calls.length).toBeGreaterThan(0);
    else expect(recycle).not.toHaveBeenCalled();
    // A buffer reused while a row still viewed it would have changed what was stored.
    let read = 0;
    for await (const object of storage.objects.readMany(repo.id, [...result.ids], 1000)) {
      expect(hashObject(object.type, object.data, SHA1)).toBe(object.id);
      read++;
    }
    expect(read).toBe(result.ids.size);
  });
});

describeEachDialect('ingest on the decode thread, when something fails', (getDb) => {
  let storage: Storage;
  let counter = 0;
  beforeAll(() => {
    storage = scratchStorage(getDb(), 64 * 1024, { ingestDecodeThreadMinObjects: 1 });
  });
  const newRepo = () => storage.repositories.create({ path: `/import/decode-${++counter}`, kind: 'import' });
  const storedObjects = async (repoId: number) =>
    Number(
      (
        await getDb()
          .database.db.selectFrom('repository_objects')
          .where('repo_id', '=', repoId)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('keeps the thread between pushes', async () => {
    const park = vi.spyOn(DecodeThread.prototype, 'park');
    const terminate = vi.spyOn(DecodeThread.prototype, 'terminate');
    for (let push = 0; push < 2; push++) {
      const repo = await newRepo();
      const result = await storage.ingestPack(repo.id, chunked(pack));
      expect(await storedObjects(repo.id)).toBe(result.ids.size);
    }
    expect(park).toHaveBeenCalledTimes(2);
    expect(terminate).not.toHaveBeenCalled();
  });

  it('decodes a pack below the threshold on the request thread, reading its header split over chunks', async () => {
    const declared = pack.readUInt32BE(8);
    const start = vi.spyOn(DecodeThread.prototype, 'start');
    for (const [minObjects, threads] of [
      [declared + 1, 0],
      [declared, 1],
    ] as const) {
      const sized = scratchStorage(getDb(), 64 * 1024, { ingestDecodeThreadMinObjects: minObjects });
      const repo = await newRepo();
      const result = await sized.ingestPack(repo.id, chunked(pack, 5));
      expect(await storedObjects(repo.id)).toBe(result.ids.size);
      expect(start).toHaveBeenCalledTimes(threads);
    }
  });

  it('refuses a pack that ends inside its header, decode thread or not', async () => {
    for (const bad of [Buffer.alloc(0), pack.subarray(0, 3), pack.subarray(0, 11)]) {
      const repo = await newRepo();
      await expect(storage.ingestPack(repo.id, chunked(bad, 2))).rejects.toMatchObject({
        kind: 'invalid',
      });
      expect(await storedObjects(repo.id)).toBe(0);
    }
  });

  it('fails the push when the thread dies, stores nothing, and the next push gets a new thread', async () => {
    // The thread is terminated while the first object is written, with messages still to read.
    const start = vi.spyOn(DecodeThread.prototype, 'start');
    vi.spyOn(ObjectWriter.prototype, 'add').mockImplementationOnce(async () => {
      await (start.mock.contexts[0] as DecodeThread).terminate();
    });
    const repo = await newRepo();
    await expect(storage.ingestPack(repo.id, chunked(pack))).rejects.toMatchObject({
      kind: 'internal',
      code: 'ingest_decode_thread_failed',
    });
    expect(await storedObjects(repo.id)).toBe(0);
    vi.restoreAllMocks();
    const result = await storage.ingestPack(repo.id, chunked(pack));
    expect(await storedObjects(repo.id)).toBe(result.ids.size);
  });

  it('ends a thread still decoding when a write fails, with the write error and nothing stored', async () => {
    const terminate = vi.spyOn(DecodeThread.prototype, 'terminate');
    vi.spyOn(ObjectWriter.prototype, 'add').mockImplementationOnce(() => {
      throw new Error('write failed');
    });
    const repo = await newRepo();
    await expect(storage.ingestPack(repo.id, chunked(pack))).rejects.toThrow('write failed');
    expect(terminate).toHaveBeenCalledTimes(1);
    expect(await storedObjects(repo.id)).toBe(0);
    vi.restoreAllMocks();
    const result = await storage.ingestPack(repo.id, chunked(pack));
    expect(await storedObjects(repo.id)).toBe(result.ids.size);
  });
});
