import S3rver from 's3rver';
import { makeTempDir } from './temp-dir.js';

/** s3rver accepts requests signed with these (its documented fixed credentials). */
const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface S3StandIn {
  readonly endpoint: string;
  readonly bucket: string;
  /** The `MEGA_LFS_STORE` value for the bucket (optionally below `prefix`). */
  spec(prefix?: string): string;
  /** What a process needs to reach it: the standard AWS variables (the SDK's default chain). */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * An S3-compatible server for tests (s3rver, an npm devDependency, so always present: S3 tests
 * never skip): listening on a free port of 127.0.0.1, storing in a fresh temp directory, with
 * one empty bucket.
 */
export async function startS3StandIn(bucket = 'mega-lfs'): Promise<S3StandIn> {
  const dir = await makeTempDir('mega-s3rver-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir.path,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    spec: (prefix = '') =>
      `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    env: { ...S3RVER_CREDENTIALS, AWS_REGION: 'us-east-1' },
    close: async () => {
      // Keep-alive sockets of SDK clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await server.close();
      await dir.remove();
    },
  };
}
