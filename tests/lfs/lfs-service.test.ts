import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import { FileBlobStore } from '../../src/storage/lfs/file-blob-store.js';
import { LfsStore } from '../../src/storage/lfs/lfs-store.js';
import { DeploymentSecret } from '../../src/platform/deployment-secret.js';
import { createLfsServices, type LfsServices } from '../../src/lfs/lfs-services.js';
import type { LfsActor, LfsRepository } from '../../src/lfs/lfs-types.js';
import { isMegaError } from '../../src/platform/errors.js';
import { describeEachDialect } from '../support/dialects.js';

const ALICE: LfsActor = { userId: 1, username: 'alice', isAdmin: false };
const BOB: LfsActor = { userId: 2, username: 'bob', isAdmin: false };
const ADMIN: LfsActor = { userId: 3, username: 'root', isAdmin: true };
const LFS_URL = 'http://lfs.test/repo.git/info/lfs';

function object(content: Buffer) {
  return { content, oid: createHash('sha256').update(content).digest('hex'), size: content.length };
}

function repo(path: string): LfsRepository {
  return { path, exists: true };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isMegaError(error) ? error.code : error).toBe(code);
}

describeEachDialect('LFS services', (getDb) => {
  let services: LfsServices;
  const lfs = async () => {
    services ??= await createLfsServices({
      store: new LfsStore(getDb().database.db, getDb().database.capabilities),
      blobs: new FileBlobStore(join(getDb().dataDir, 'lfs')),
      secret: new DeploymentSecret(randomBytes(32), 'MEGA_SECRET_KEY'),
      maxObjectBytes: 1024 * 1024,
    });
    return services;
  };

  it('uploads, links and downloads an object; batch reports it present afterwards', async () => {
    const { objects } = await lfs();
    const data = object(randomBytes(70_000));
    const target = repo('/svc/upload');
    const before = await objects.batch(target, ALICE, { operation: 'upload', objects: [data] }, LFS_URL);
    expect(before.objects[0]?.actions?.upload?.href).toBe(`${LFS_URL}/objects/${data.oid}`);
    await objects.upload(target, data.oid, data.size, () => Readable.from([data.content]));
    const after = await objects.batch(target, ALICE, { operation: 'upload', objects: [data] }, LFS_URL);
    expect(after.objects[0]).toEqual({ oid: data.oid, size: data.size });
    const download = await objects.download(target, data.oid, undefined);
    expect(download.status).toBe(200);
    expect((await buffer(download.body!)).equals(data.content)).toBe(true);
    await objects.verify(target, { oid: data.oid, size: data.size });
  });

  it('refuses wrong content and a wrong size, leaving nothing behind', async () => {
    const { objects } = await lfs();
    const data = object(Buffer.from('the real content'));
    const target = repo('/svc/wrong');
    await rejectsWith(
      objects.upload(target, data.oid, data.size, () => Readable.from([Buffer.from('other content!!!')])),
      'lfs_object_hash_mismatch',
    );
    await rejectsWith(
      objects.upload(target, data.oid, data.size + 1, () => Readable.from([data.content])),
      'lfs_object_size_mismatch',
    );
    await rejectsWith(objects.download(target, data.oid, undefined), 'lfs_object_not_found');
    expect(await readdir(join(getDb().dataDir, 'lfs', 'tmp'))).toEqual([]);
  });

  it('deduplicates content but serves it only through repositories that reference it', async () => {
    const { objects } = await lfs();
    const data = object(randomBytes(1000));
    await objects.upload(repo('/svc/a'), data.oid, data.size, () => Readable.from([data.content]));
    const other = await objects.batch(
      repo('/svc/b'),
      ALICE,
      { operation: 'download', objects: [data] },
      LFS_URL,
    );
    expect(other.objects[0]?.error?.code).toBe(404);
    await rejectsWith(objects.download(repo('/svc/b'), data.oid, undefined), 'lfs_object_not_found');
    // Uploading through b proves possession: the server hashes the bytes before linking.
    const upload = await objects.batch(
      repo('/svc/b'),
      ALICE,
      { operation: 'upload', objects: [data] },
      LFS_URL,
    );
    expect(upload.objects[0]?.actions?.upload).toBeDefined();
    await objects.upload(repo('/svc/b'), data.oid, data.size, () => Readable.from([data.content]));
    expect((await objects.download(repo('/svc/b'), data.oid, undefined)).status).toBe(200);
  });

  it('shows objects through Mega directory paths that contain, or are part of, the repository', async () => {
    const { objects } = await lfs();
    const data = object(randomBytes(100));
    await objects.upload(repo('/svc/tree/app'), data.oid, data.size, () => Readable.from([data.content]));
    const status = async (path: string) =>
      (await objects.batch(repo(path), undefined, { operation: 'download', objects: [data] }, LFS_URL))
        .objects[0]?.error?.code ?? 200;
    expect(await status('/svc/tree/app')).toBe(200);
    expect(await status('/svc/tree')).toBe(200);
    expect(await status('/svc/tree/app/docs')).toBe(200);
    expect(await status('/svc/tree/application')).toBe(404);
    expect(await status('/svc/tre')).toBe(404);
    expect(await status('/svc/other')).toBe(404);
    expect(await status('/')).toBe(404);
  });

  it('answers per-object errors for bad ids, sizes and hash algorithms', async () => {
    const { objects } = await lfs();
    const ok = object(Buffer.from('x'));
    const response = await objects.batch(
      repo('/svc/errors'),
      ALICE,
      {
        operation: 'upload',
        objects: [
          { oid: 'not-an-oid', size: 1 },
          { oid: ok.oid, size: -1 },
          { oid: ok.oid, size: 2 * 1024 * 1024 },
          { oid: ok.oid.toUpperCase(), size: 1 },
        ],
      },
      LFS_URL,
    );
    expect(response.objects.map((entry) => entry.error?.code)).toEqual([422, 422, 422, 422]);
    const algo = await objects.batch(
      repo('/svc/errors'),
      ALICE,
      { operation: 'download', objects: [ok], hash_algo: 'sha512' },
      LFS_URL,
    );
    expect(algo.objects[0]?.error?.code).toBe(409);
    await rejectsWith(
      objects.batch(repo('/svc/errors'), ALICE, { operation: 'copy', objects: [] }, LFS_URL),
      'lfs_batch_invalid',
    );
    await rejectsWith(
      objects.batch(
        repo('/svc/errors'),
        ALICE,
        { operation: 'download', transfers: ['tus'], objects: [] },
        LFS_URL,
      ),
      'lfs_transfer_unsupported',
    );
    await rejectsWith(
      objects.batch(
        repo('/svc/errors'),
        ALICE,
        { operation: 'download', objects: new Array(1001).fill(ok) },
        LFS_URL,
      ),
      'lfs_batch_too_many_objects',
    );
  });

  it('decides a batch per object, for the HTTP batch and git-lfs-transfer alike', async () => {
    const { objects } = await lfs();
    const data = object(Buffer.from('decided'));
    const missing = object(Buffer.from('missing'));
    const target = repo('/svc/decide');
    await objects.upload(target, data.oid, data.size, () => Readable.from([data.content]));
    expect(await objects.decide(target, 'upload', [data, missing])).toEqual([
      { oid: data.oid, size: data.size, action: 'none' },
      { oid: missing.oid, size: missing.size, action: 'upload' },
    ]);
    // A download reports the stored size, whatever the client said.
    expect(await objects.decide(target, 'download', [{ oid: data.oid, size: 1 }, missing])).toEqual([
      { oid: data.oid, size: data.size, action: 'download' },
      { oid: missing.oid, size: missing.size, error: { code: 404, message: 'object does not exist' } },
    ]);
    const [tooBig] = await objects.decide(target, 'upload', [{ oid: missing.oid, size: 2 * 1024 * 1024 }]);
    expect(tooBig).toMatchObject({ error: { code: 422 } });
    const [sha512] = await objects.decide(target, 'upload', [data], 'sha512');
    expect(sha512).toMatchObject({ error: { code: 409 } });
  });

  it('serves byte ranges', async () => {
    const { objects } = await lfs();
    const data = object(Buffer.from('0123456789'));
    const target = repo('/svc/range');
    await objects.upload(target, data.oid, undefined, () => Readable.from([data.content]));
    const read = async (range: string) => {
      const download = await objects.download(target, data.oid, range);
      return [download.status, download.body ? (await buffer(download.body)).toString() : ''];
    };
    expect(await read('bytes=2-4')).toEqual([206, '234']);
    expect(await read('bytes=7-')).toEqual([206, '789']);
    expect(await read('bytes=-3')).toEqual([206, '789']);
    expect(await read('bytes=5-100')).toEqual([206, '56789']);
    expect(await read('bytes=10-')).toEqual([416, '']);
    expect(await read('bytes=4-2')).toEqual([200, '0123456789']);
    expect(await read('bytes=0-1,3-4')).toEqual([200, '0123456789']);
  });

  it('locks: one per path, list with filters and cursor, verify ours/theirs, unlock rules', async () => {
    const { locks } = await lfs();
    const target = repo('/svc/locks');
    const first = await locks.create(target, ALICE, { path: 'a.bin', ref: { name: 'refs/heads/main' } });
    expect(first).toMatchObject({ path: 'a.bin', owner: { name: 'alice' } });
    expect(first.locked_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const clash = await locks.create(target, BOB, { path: 'a.bin' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isMegaError(clash, 'conflict') && clash.details.lock).toEqual(first);
    await locks.create(target, BOB, { path: 'b.bin' });
    await locks.create(target, BOB, { path: 'c.bin' });
    expect((await locks.list(target, { path: 'b.bin' })).locks.map((lock) => lock.path)).toEqual(['b.bin']);
    expect((await locks.list(target, { id: first.id })).locks).toEqual([first]);
    const page1 = await locks.list(target, { limit: '2' });
    expect(page1.locks.map((lock) => lock.path)).toEqual(['a.bin', 'b.bin']);
    const page2 = await locks.list(target, { limit: '2', cursor: page1.next_cursor });
    expect(page2).toEqual({ locks: [expect.objectContaining({ path: 'c.bin' })] });
    // What git-lfs-transfer's list-lock answers: each lock marked as the viewer's or not.
    const viewed = await locks.listForViewer(target, ALICE, { limit: '2' });
    expect(viewed.locks.map((lock) => [lock.path, lock.ours])).toEqual([
      ['a.bin', true],
      ['b.bin', false],
    ]);
    expect(viewed.next_cursor).toBe(page1.next_cursor);
    const verify = await locks.verify(target, ALICE, {});
    expect(verify.ours.map((lock) => lock.path)).toEqual(['a.bin']);
    expect(verify.theirs.map((lock) => lock.path)).toEqual(['b.bin', 'c.bin']);
    expect((await locks.list(repo('/svc/other'), {})).locks).toEqual([]);

    // `mayForce` is what the web layer found: `maintain` on the repository (src/access).
    const writer = { mayForce: false };
    const maintainer = { mayForce: true };
    await rejectsWith(locks.unlock(target, BOB, first.id, {}, maintainer), 'lfs_lock_not_owner');
    await rejectsWith(
      locks.unlock(target, BOB, first.id, { force: true }, writer),
      'lfs_force_unlock_denied',
    );
    await rejectsWith(locks.unlock(repo('/svc/other'), ALICE, first.id, {}, writer), 'lfs_lock_not_found');
    expect(await locks.unlock(target, ALICE, first.id, {}, writer)).toEqual(first);
    await rejectsWith(locks.unlock(target, ALICE, first.id, {}, writer), 'lfs_lock_not_found');
    const bobs = (await locks.list(target, { path: 'b.bin' })).locks[0]!;
    expect(await locks.unlock(target, ADMIN, bobs.id, { force: true }, maintainer)).toEqual(bobs);
    await rejectsWith(locks.create(target, ALICE, { path: '' }), 'lfs_lock_path_invalid');
    await rejectsWith(locks.list(target, { cursor: 'x' }), 'lfs_cursor_invalid');
  });

  it('decides concurrent lock creation on one path for exactly one user', async () => {
    const { locks } = await lfs();
    const target = repo('/svc/race');
    const results = await Promise.allSettled(
      [ALICE, BOB, ADMIN, ALICE, BOB].map((actor) => locks.create(target, actor, { path: 'race.bin' })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });
});
