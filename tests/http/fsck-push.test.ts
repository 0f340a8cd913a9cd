import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { git, gitText } from '../support/git-cli.js';
import { hostileCase, type HostileCase } from '../support/hostile-objects.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';
import { authEnv } from './http-fixture.js';
import { makeFileHistory } from '../support/git-fixtures.js';

const POSTGRES = await serviceAvailable('postgres');

/** Writes a case's objects into a local repository as they are (`--literally`: no checks). */
async function storeLiterally(repo: string, testCase: HostileCase): Promise<void> {
  for (const object of testCase.objects) {
    const written = await gitText(['hash-object', '-w', '--literally', '-t', object.type, '--stdin'], {
      cwd: repo,
      input: object.data,
    });
    expect(written.trim()).toBe(object.id);
  }
}

const PUSHED = [
  ['dotgit-ntfs-short-name', 'hasDotgit'],
  ['duplicate-entries', 'duplicateEntries'],
  ['missing-email', 'missingEmail'],
  ['gitmodules-url-option', 'gitmodulesUrl'],
] as const;

describe.each([
  ['sqlite', true],
  ['postgres', POSTGRES],
] as const)('a push of hostile objects to mega serve on %s', (dialect, available) => {
  let temp: { path: string; remove: () => Promise<void> };
  let scratch: ScratchDatabase | undefined;
  let server: MegaServer;
  let env: Record<string, string>;
  let local: string;

  beforeAll(async () => {
    if (!available) return;
    temp = await makeTempDir('mega-fsck-push-');
    const dataDir = join(temp.path, 'data');
    env = {};
    if (dialect === 'postgres') {
      scratch = await createScratchDatabase('postgres');
      env.MEGA_DATABASE_URL = scratch.url;
    }
    const created = await runMega(['token', 'create', 'alice', '--admin', '--data', dataDir], { env });
    if (created.code !== 0) throw new Error(`mega token create failed: ${created.stderr}`);
    const token = created.stdout.trim().split('\n').pop() ?? '';
    server = await startMegaServer({ dataDir, env });
    env = authEnv(token);
    local = join(temp.path, 'local');
    await makeFileHistory(local, 2);
    for (const [name] of PUSHED) await storeLiterally(local, hostileCase(name));
  }, 60_000);
  afterAll(async () => {
    if (!available) return;
    await server.stop();
    await scratch?.drop();
    await temp.remove();
  });

  it.skipIf(!available).each(PUSHED)(
    'refuses %s with git message id %s in git output',
    async (name, messageId) => {
      const testCase = hostileCase(name);
      const url = `${server.url}/import/fsck-${name}`;
      const result = await git(['push', url, `${testCase.tip.id}:refs/heads/main`], {
        cwd: local,
        env,
        check: false,
      });
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stderr).toContain(`remote: error: object ${testCase.culprit}: ${messageId}: `);
      expect(result.stderr).toContain('remote: fatal: fsck error in packed object');
      expect(result.stderr).toContain(
        `error: remote unpack failed: object ${testCase.culprit}: ${messageId}: `,
      );
      expect(result.stderr).toMatch(/! \[remote rejected\] .* -> main \(unpacker error\)/);
      // Nothing became referenced.
      const refs = await git(['ls-remote', url], { cwd: local, env, check: false });
      expect(refs.stdout.toString()).not.toContain('refs/heads/main');
    },
  );

  // A `40000` entry naming a blob cannot be pushed with C git (its pack-objects refuses to
  // walk it); src/storage/ingest-fsck.test.ts sends that one as a raw pack.

  it.skipIf(!available)('still takes a clean push, which clones back', async () => {
    const url = `${server.url}/import/fsck-clean`;
    await git(['push', url, 'main:refs/heads/main'], { cwd: local, env });
    const clone = join(temp.path, 'clone');
    await git(['clone', '-q', url, clone], { env });
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: clone })).toBe(
      await gitText(['rev-parse', 'main'], { cwd: local }),
    );
  });
});
