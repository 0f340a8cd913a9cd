import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../platform/config.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { startS3StandIn, type S3StandIn } from '../../../tests/support/s3-server.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import {
  blob,
  blobStoreContract,
  type BlobStoreUnderTest,
} from '../../../tests/support/lfs-blob-store-contract.js';
import { DbBlobStore } from './db-blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { openLfsBlobStore, parseS3Spec } from './open-lfs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

describe('LFS blob store: file', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let subject: BlobStoreUnderTest;
  beforeAll(async () => {
    temp = await makeTempDir('mega-lfs-file-');
    const store = new FileBlobStore(join(temp.path, 'lfs'));
    const tmp = join(temp.path, 'lfs', 'tmp');
    subject = {
      store,
      partBytes: 64 * 1024,
      staged: async () => (await readdir(tmp).catch(() => [])).length,
      stageLeftover: async () => {
        await mkdir(tmp, { recursive: true });
        await writeFile(join(tmp, 'crashed-upload'), randomBytes(10));
      },
    };
  });
  afterAll(() => temp.remove());
  blobStoreContract(() => subject);

  it('keeps the layout of earlier versions: <dir>/ab/cd/<oid>', () => {
    const oid = 'ab'.repeat(32);
    expect((subject.store as FileBlobStore).objectPath(oid)).toBe(join(temp.path, 'lfs', 'ab', 'ab', oid));
  });
});

describeEachDialect('LFS blob store: db', (getDb) => {
  let subject: BlobStoreUnderTest;
  beforeAll(() => {
    const { db, capabilities } = getDb().database;
    // Small chunks, so every test crosses chunk boundaries.
    const partBytes = 10_000;
    subject = {
      store: new DbBlobStore(db, capabilities, partBytes),
      partBytes,
      staged: async () => {
        const uploads = await db.selectFrom('lfs_blob_uploads').select('blob_id').execute();
        const orphans = await db
          .selectFrom('lfs_blob_chunks')
          .select('blob_id')
          .where('blob_id', 'not in', db.selectFrom('lfs_blobs').select('blob_id'))
          .execute();
        return new Set([...uploads, ...orphans].map((row) => row.blob_id)).size;
      },
      stageLeftover: async () => {
        const blobId = randomBytes(16).toString('hex');
        await db
          .insertInto('lfs_blob_uploads')
          .values({ blob_id: blobId, started_at: new Date().toISOString() })
          .execute();
        await db
          .insertInto('lfs_blob_chunks')
          .values({ blob_id: blobId, seq: 0, data: randomBytes(10) })
          .execute();
      },
    };
  });
  blobStoreContract(() => subject);
});

describe('LFS blob store: s3 (s3rver)', () => {
  let s3: S3StandIn;
  let subject: BlobStoreUnderTest;
  let client: S3Client;
  beforeAll(async () => {
    s3 = await startS3StandIn();
    // The store takes credentials from the SDK's default chain: the standard variables.
    Object.assign(process.env, s3.env);
    const options = parseS3Spec(s3.spec('lfs'));
    client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
    const tempKeys = async () =>
      (await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'lfs/tmp/' }))).KeyCount ?? 0;
    subject = {
      store: new S3BlobStore(options),
      // Multipart parts are 8 MiB: the first test's object spans three.
      partBytes: 8 * 1024 * 1024,
      staged: tempKeys,
      stageLeftover: async () => {
        await client.send(
          new PutObjectCommand({ Bucket: s3.bucket, Key: 'lfs/tmp/crashed-upload', Body: randomBytes(10) }),
        );
      },
    };
  });
  afterAll(async () => {
    await subject.store.close();
    client.destroy();
    await s3.close();
  });
  blobStoreContract(() => subject);

  it('keeps objects under <prefix>ab/cd/<oid>', async () => {
    const data = blob(randomBytes(100));
    await subject.store.put(data.oid, () => Readable.from([data.content]), data.size);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'lfs/' }));
    const { oid } = data;
    expect(listed.Contents?.map((entry) => entry.Key)).toContain(
      `lfs/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`,
    );
  });
});

describe('MEGA_LFS_STORE specs', () => {
  const context = { dataDir: '/data', db: undefined as never, capabilities: undefined as never };

  it('comes from MEGA_LFS_STORE or the config key lfsStore', () => {
    expect(loadConfig({ env: { MEGA_LFS_STORE: 'db' } }).lfsStore).toBe('db');
    expect(loadConfig({ env: {}, overrides: { lfsStore: 'file:/srv/lfs' } }).lfsStore).toBe('file:/srv/lfs');
    expect(loadConfig({ env: {} }).lfsStore).toBeUndefined();
  });

  it('defaults to files under <dataDir>/lfs and accepts file:DIR', () => {
    expect(openLfsBlobStore(undefined, context).description).toBe('file:/data/lfs');
    expect(openLfsBlobStore('file:/srv/lfs', context).description).toBe('file:/srv/lfs');
  });

  it('parses s3 URLs: bucket, prefix, endpoint, region, path style', () => {
    expect(parseS3Spec('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '', forcePathStyle: false });
    expect(parseS3Spec('s3://bucket/a/b/?region=eu-west-1')).toEqual({
      bucket: 'bucket',
      prefix: 'a/b/',
      region: 'eu-west-1',
      forcePathStyle: false,
    });
    expect(parseS3Spec('s3://lfs?endpoint=http://minio:9000&region=us-east-1')).toEqual({
      bucket: 'lfs',
      prefix: '',
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      forcePathStyle: true,
    });
    expect(parseS3Spec('s3://lfs?endpoint=https://s3.example&pathStyle=false').forcePathStyle).toBe(false);
  });

  it('refuses unknown stores, unknown parameters and credentials in the spec', () => {
    for (const spec of [
      'ftp://x',
      'file:',
      's3://',
      's3://b?endpoint=minio:9000',
      's3://b?secret=1',
      's3://key:secret@b',
    ]) {
      expect(() => openLfsBlobStore(spec, context), spec).toThrow(/MEGA_LFS_STORE/);
    }
  });
});
