import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { Upload as S3Upload } from '@aws-sdk/lib-storage';
import { tooLarge } from '../../platform/errors.js';
import { requireBlobOid, type ByteSpan, type LfsBlobStore } from './lfs-blob-store.js';
import { VerifiedBody } from './verified-body.js';

/** Part size of multipart uploads: S3's minimum is 5 MiB; two parts in flight bound memory. */
const PART_BYTES = 8 * 1024 * 1024;
/** The largest object one CopyObject request can copy (S3's limit for a single copy). */
const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;

interface S3Connection {
  readonly s3: typeof S3Sdk;
  readonly Upload: typeof S3Upload;
  readonly client: S3Sdk.S3Client;
}

/** Where and how to reach the bucket; credentials are never here (the SDK's provider chain). */
export interface S3BlobStoreOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, '' or ending in '/'. */
  readonly prefix: string;
  /** Endpoint of an S3-compatible server (MinIO, Garage, Ceph RGW); unset = AWS S3. */
  readonly endpoint?: string;
  /** Unset = the SDK's default (`AWS_REGION`, the shared config file). */
  readonly region?: string;
  /** `bucket` in the path instead of the host name: what MinIO, Garage and Ceph need. */
  readonly forcePathStyle: boolean;
}

/**
 * LFS object contents in S3-compatible object storage (`MEGA_LFS_STORE=s3://…`), keyed
 * `<prefix>ab/cd/<oid>` like the file store. An upload streams to a temporary key
 * (`<prefix>tmp/…`, multipart for large objects) while it is hashed; only when the sha256 and
 * size matched is it copied to the object's key, so a wrong or hostile upload never overwrites
 * or becomes an object. The temporary key is deleted in every case.
 */
export class S3BlobStore implements LfsBlobStore {
  readonly description: string;
  private connection?: Promise<S3Connection>;
  private closed = false;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.description = `s3://${options.bucket}/${options.prefix}`;
  }

  /**
   * The SDK and its client, loaded on first use: the SDK takes a few hundred milliseconds to
   * import, which every process start and CLI command would pay while most installations use
   * no S3 store.
   */
  private sdk(): Promise<S3Connection> {
    this.connection ??= (async () => {
      const [s3, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      const client = new s3.S3Client({
        ...(this.options.region ? { region: this.options.region } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        forcePathStyle: this.options.forcePathStyle,
      });
      return { s3, Upload: storage.Upload, client };
    })();
    return this.connection;
  }

  private key(oid: string): string {
    requireBlobOid(oid);
    return `${this.options.prefix}${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}`;
  }

  private get tempPrefix(): string {
    return `${this.options.prefix}tmp/`;
  }

  async put(oid: string, openBody: () => Readable, expectedSize?: number): Promise<number> {
    const key = this.key(oid);
    if (expectedSize !== undefined && expectedSize > MAX_COPY_BYTES) {
      throw tooLarge('lfs_object_too_large', 'the S3 store takes objects up to 5 GiB', {
        limit: MAX_COPY_BYTES,
      });
    }
    const tempKey = `${this.tempPrefix}${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
    const body = new VerifiedBody(expectedSize);
    const source = openBody();
    source.once('error', (error) => body.destroy(error));
    source.pipe(body);
    try {
      const { s3, Upload, client } = await this.sdk();
      const upload = new Upload({
        client,
        params: { Bucket: this.options.bucket, Key: tempKey, Body: body },
        partSize: PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      });
      await upload.done();
      const size = body.check(oid);
      // Content-addressed: an object already under the key is this content, verified when stored.
      if ((await this.stat(oid)) !== size) {
        await client.send(
          new s3.CopyObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            CopySource: `${this.options.bucket}/${tempKey.split('/').map(encodeURIComponent).join('/')}`,
          }),
        );
      }
      return size;
    } finally {
      source.unpipe(body);
      body.destroy();
      await this.deleteKey(tempKey);
    }
  }

  async open(oid: string, span?: ByteSpan): Promise<Readable> {
    const { s3, client } = await this.sdk();
    const response = await client.send(
      new s3.GetObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(oid),
        ...(span ? { Range: `bytes=${span.start}-${span.end}` } : {}),
      }),
    );
    // In Node.js the SDK's body is an http.IncomingMessage (a Readable).
    const body = response.Body as Readable;
    if (!span) return body;
    // A server may answer with more than the range asked (HTTP allows the whole object; s3rver
    // sends all of it for `bytes=0-0`): then the span is cut here from what arrived.
    const sent = /^bytes (\d+)-(\d+)\//.exec(response.ContentRange ?? '');
    const sentStart = sent ? Number(sent[1]) : 0;
    const sentEnd = sent ? Number(sent[2]) : Infinity;
    if (sentStart === span.start && sentEnd === span.end) return body;
    return body.pipe(new SpanCutter(span, sentStart));
  }

  async stat(oid: string): Promise<number | undefined> {
    const { s3, client } = await this.sdk();
    try {
      const head = await client.send(
        new s3.HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(oid) }),
      );
      return head.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async has(oid: string): Promise<boolean> {
    return (await this.stat(oid)) !== undefined;
  }

  async delete(oid: string): Promise<void> {
    await this.deleteKey(this.key(oid));
  }

  private async deleteKey(key: string): Promise<void> {
    const { s3, client } = await this.sdk();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  /**
   * Deletes temporary keys older than `olderThanMs`. Parts of multipart uploads a crash left are
   * the bucket's lifecycle rule's job (`AbortIncompleteMultipartUpload`, docs/lfs-storage.md).
   */
  async removeStaleUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    const { s3, client } = await this.sdk();
    do {
      const page = await client.send(
        new s3.ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.tempPrefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const entry of page.Contents ?? []) {
        if (entry.Key && entry.LastModified && now - entry.LastModified.getTime() > olderThanMs) {
          await this.deleteKey(entry.Key);
          removed += 1;
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connection) (await this.connection).client.destroy();
  }
}

/** Passes on only bytes `span.start..span.end` of a stream holding more of the object. */
class SpanCutter extends Transform {
  constructor(
    private readonly span: ByteSpan,
    /** Object offset of the stream's first byte. */
    private offset: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const from = Math.max(this.span.start - this.offset, 0);
    const to = Math.min(this.span.end + 1 - this.offset, chunk.length);
    this.offset += chunk.length;
    callback(null, to > from ? chunk.subarray(from, to) : undefined);
  }
}

function isNotFound(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as { name?: string }).name;
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey';
}
