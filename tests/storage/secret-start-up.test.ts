import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { runMega, startMegaServer } from '../support/mega-process.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp-dir.js';

const DIALECTS = [
  ['sqlite', true],
  ['postgres', await serviceAvailable('postgres')],
] as const;

/** A start-up refusal: non-zero exit, one line on stderr, no stack trace, no key material. */
function expectRefusal(
  result: { code: number; stdout: string; stderr: string },
  source: string,
  keys: readonly string[],
): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toBe(
    `mega: the deployment secret (from ${source}) is not the one this installation's database was set up with; give every server and worker the same MEGA_SECRET_KEY`,
  );
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/listening/);
  for (const key of keys) expect(result.stderr + result.stdout).not.toContain(key);
}

/**
 * Servers and workers of one installation (one database) must share the deployment secret: the
 * first process stores its fingerprint, and one started with another key refuses to start,
 * rather than failing later on every credential it cannot decrypt.
 */
for (const [dialect, available] of DIALECTS) {
  describe.skipIf(!available)(`a deployment secret that differs at start-up [${dialect}]`, () => {
    let temp: Awaited<ReturnType<typeof makeTempDir>>;
    let scratch: ScratchDatabase | undefined;
    const first = randomBytes(32).toString('hex');
    const other = randomBytes(32).toString('hex');
    let env: Record<string, string>;

    beforeAll(async () => {
      temp = await makeTempDir('mega-secret-start-');
      scratch =
        dialect === 'postgres' ? await createScratchDatabase('postgres', { migrate: false }) : undefined;
      env = { MEGA_DATABASE_URL: scratch?.url ?? `sqlite:${join(temp.path, 'shared.db')}` };
      const init = await runMega(['init', '--data', join(temp.path, 'a')], {
        env: { ...env, MEGA_SECRET_KEY: first },
      });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toMatch(
        /^mega: installation [0-9a-f]{16}, sync jobs on Redis channel mega:[0-9a-f]{16}:sync:jobs$/m,
      );
    });
    afterAll(async () => {
      await scratch?.drop();
      await temp?.remove();
    });

    it('mega serve and mega worker with another MEGA_SECRET_KEY: one line, then exit', async () => {
      const withOther = { ...env, MEGA_SECRET_KEY: other };
      const serve = await runMega(['serve', '--port', '0', '--data', join(temp.path, 'b')], {
        env: withOther,
      });
      expectRefusal(serve, 'MEGA_SECRET_KEY', [first, other]);
      const worker = await runMega(['worker', '--data', join(temp.path, 'b')], { env: withOther });
      expectRefusal(worker, 'MEGA_SECRET_KEY', [first, other]);
    });

    it("a data directory's own secret.key, or a key file, that differs is refused the same way", async () => {
      const dataDir = join(temp.path, 'c');
      await mkdir(dataDir, { recursive: true });
      await writeFile(join(dataDir, 'secret.key'), `${other}\n`, { mode: 0o600 });
      expectRefusal(await runMega(['worker', '--data', dataDir], { env }), 'data directory', [first, other]);
      const keyFile = join(temp.path, 'mounted.key');
      await writeFile(keyFile, `${other}\n`, { mode: 0o600 });
      expectRefusal(
        await runMega(['serve', '--port', '0', '--data', dataDir], {
          env: { ...env, MEGA_SECRET_KEY_FILE: keyFile },
        }),
        'MEGA_SECRET_KEY_FILE',
        [first, other],
      );
    });

    it('the same secret starts, from any data directory and as a key file', async () => {
      const keyFile = join(temp.path, 'same.key');
      await writeFile(keyFile, `${Buffer.from(first, 'hex').toString('base64')}\n`, { mode: 0o600 });
      const server = await startMegaServer({
        dataDir: join(temp.path, 'd'),
        env: { ...env, MEGA_SECRET_KEY_FILE: keyFile },
      });
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        await server.stop();
      }
    });
  });
}
