import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLfsUser, sha256File, writeRandomFile } from '../support/git-lfs-client.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer } from '../support/mega-process.js';
import { startS3StandIn, type S3StandIn } from '../support/s3-server.js';
import { makeTempDir } from '../support/temp-dir.js';

const MiB = 1024 * 1024;
const REPO_PATH = '/import/lfs-stores';

/**
 * The real `git` + `git-lfs` against `mega serve` with each LFS blob store: objects pushed to the
 * default file store are copied by `mega lfs migrate-store` to the database and to S3 (s3rver,
 * always present as a devDependency, so this never skips), the files are removed, and a server
 * configured with `MEGA_LFS_STORE=db` or `s3://…` serves them to a clone and stores new pushes.
 */
describe('git-lfs client against mega serve with db and s3 LFS stores', { timeout: 600_000 }, () => {
  let temp: { path: string; remove: () => Promise<void> };
  let s3: S3StandIn;
  let dataDir: string;
  let env: Record<string, string>;
  const files = new Map<string, string>();
  const work = () => join(temp.path, 'work');

  const run = (args: string[], cwd: string) => git(args, { cwd, env, check: false });

  async function cloneAndCheck(url: string, name: string): Promise<void> {
    const clone = join(temp.path, name);
    const cloned = await git(['clone', `${url}${REPO_PATH}.git`, clone], { env, check: false });
    expect(cloned.code, cloned.stderr).toBe(0);
    for (const [file, sha] of files) expect(await sha256File(join(clone, file)), file).toBe(sha);
  }

  beforeAll(async () => {
    temp = await makeTempDir('mega-lfs-stores-');
    s3 = await startS3StandIn();
    dataDir = join(temp.path, 'data');
    const token = await runMega(['token', 'create', 'alice', '--admin', '--data', dataDir]);
    expect(token.code, token.stderr).toBe(0);
    env = await configureLfsUser(temp.path, 'alice', token.stdout.trim().split('\n').pop() ?? '');
  });

  afterAll(async () => {
    await s3?.close();
    await temp?.remove();
  });

  it('copies objects pushed to the file store to db and s3 (verified, resumable)', async () => {
    const server = await startMegaServer({ dataDir });
    try {
      const dir = work();
      await git(['init', '-q', dir], { env });
      await run(['lfs', 'install', '--local'], dir);
      await run(['lfs', 'track', '*.bin'], dir);
      // 12 MiB: a multipart upload of two parts in S3, twelve chunk rows in the database.
      files.set('big.bin', await writeRandomFile(join(dir, 'big.bin'), 12 * MiB));
      files.set('small.bin', await writeRandomFile(join(dir, 'small.bin'), 100_000));
      await run(['add', '.gitattributes', 'big.bin', 'small.bin'], dir);
      await run(['commit', '-q', '-m', 'LFS files'], dir);
      const push = await run(['push', `${server.url}${REPO_PATH}.git`, 'HEAD:refs/heads/main'], dir);
      expect(push.code, push.stderr).toBe(0);
    } finally {
      await server.stop();
    }

    const toDb = await runMega(['lfs', 'migrate-store', '--to', 'db', '--data', dataDir]);
    expect(toDb.code, toDb.stderr).toBe(0);
    expect(toDb.stdout).toContain('copied 2 ');
    const again = await runMega(['lfs', 'migrate-store', '--to', 'db', '--data', dataDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('copied 0 (0 bytes), already there 2');
    const toS3 = await runMega(['lfs', 'migrate-store', '--to', s3.spec('lfs'), '--data', dataDir], {
      env: s3.env,
    });
    expect(toS3.code, toS3.stderr).toBe(0);
    expect(toS3.stdout).toContain('copied 2 ');

    // From here on only the database and the bucket hold the objects.
    for (const name of await readdir(join(dataDir, 'lfs'))) {
      if (/^[0-9a-f]{2}$/.test(name)) await rm(join(dataDir, 'lfs', name), { recursive: true });
    }
  });

  for (const store of ['db', 's3'] as const) {
    it(`serves a clone and stores a new push with MEGA_LFS_STORE=${store}`, async () => {
      const spec = store === 'db' ? 'db' : s3.spec('lfs');
      if (store === 's3') {
        // The object pushed while the database was the store moves over too; the rest is there.
        const fromDb = await runMega(
          ['lfs', 'migrate-store', '--from', 'db', '--to', spec, '--data', dataDir],
          {
            env: s3.env,
          },
        );
        expect(fromDb.code, fromDb.stderr).toBe(0);
        expect(fromDb.stdout).toContain('already there 2,');
        expect(fromDb.stdout).toMatch(/copied 1 /);
      }
      const server = await startMegaServer({ dataDir, env: { MEGA_LFS_STORE: spec, ...s3.env } });
      try {
        await cloneAndCheck(server.url, `clone-${store}-1`);
        const dir = work();
        const file = `new-${store}.bin`;
        const sha = await writeRandomFile(join(dir, file), 6 * MiB);
        files.set(file, sha);
        await run(['add', file], dir);
        await run(['commit', '-q', '-m', `new object via ${store}`], dir);
        const push = await run(['push', `${server.url}${REPO_PATH}.git`, 'HEAD:refs/heads/main'], dir);
        expect(push.code, push.stderr).toBe(0);
        // Not written to the file store.
        await expect(access(join(dataDir, 'lfs', sha.slice(0, 2), sha.slice(2, 4), sha))).rejects.toThrow();
        await cloneAndCheck(server.url, `clone-${store}-2`);
      } finally {
        await server.stop();
      }
    });
  }
});
