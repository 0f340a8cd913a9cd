import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  runMega,
  startMegaServer,
  startMegaWorker,
  type MegaServer,
  type MegaWorker,
} from '../support/mega-process.js';
import { startS3StandIn, type S3StandIn } from '../support/s3-server.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { SERVICES } from '../support/services.js';

/**
 * One Mega installation as docs/deploy.md describes it, on this machine: two `mega serve --no-worker`
 * processes (A and B) and two `mega worker` processes, each with its own data directory under
 * `root`, sharing a scratch PostgreSQL database, Redis, an S3 stand-in as the LFS store and one
 * deployment secret (in a 0600 key file named by `MEGA_SECRET_KEY_FILE`, never in argv).
 * Redis is namespaced by the installation id `mega init` stores in the fresh database, so
 * installations of parallel tests never hear each other's jobs.
 */
/** Four processes start at once; on a busy 2-core runner that takes longer than one alone. */
const START_TIMEOUT_MS = 60_000;

export interface Installation {
  /** What every process of the installation is given (the shared rows of docs/deploy.md). */
  readonly env: Readonly<Record<string, string>>;
  readonly a: MegaServer;
  readonly b: MegaServer;
  readonly workers: readonly [MegaWorker, MegaWorker];
  /** An administrator's token (`mega token create alice --admin`). */
  readonly token: string;
  /** `mega init`'s stdout: the installation id and its Redis channel. */
  readonly initOutput: string;
  /** Every process's output so far, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

export async function startInstallation(root: string): Promise<Installation> {
  const closes: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const step of closes.reverse()) await step().catch(() => undefined);
  };
  try {
    const scratch: ScratchDatabase = await createScratchDatabase('postgres', { migrate: false });
    closes.push(() => scratch.drop());
    const s3: S3StandIn = await startS3StandIn();
    closes.push(() => s3.close());
    const keyFile = join(root, 'secret.key');
    await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const env = {
      MEGA_DATABASE_URL: scratch.url,
      MEGA_REDIS_URL: SERVICES.redis.url,
      MEGA_SECRET_KEY_FILE: keyFile,
      MEGA_LFS_STORE: s3.spec('lfs'),
      ...s3.env,
    };

    const cli = async (args: string[]) => {
      const result = await runMega([...args, '--data', join(root, 'cli')], { env });
      if (result.code !== 0)
        throw new Error(`mega ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout.trim();
    };
    // `mega init` migrates the fresh database first, as every process does when it opens storage.
    const initOutput = await cli(['init']);
    const token = (await cli(['token', 'create', 'alice', '--admin'])).split('\n').pop() ?? '';

    const started = await Promise.allSettled([
      startMegaServer({
        dataDir: join(root, 'serve-a'),
        args: ['--no-worker'],
        env,
        startTimeoutMs: START_TIMEOUT_MS,
      }),
      startMegaServer({
        dataDir: join(root, 'serve-b'),
        args: ['--no-worker'],
        env,
        startTimeoutMs: START_TIMEOUT_MS,
      }),
      startMegaWorker({ dataDir: join(root, 'worker-1'), env, startTimeoutMs: START_TIMEOUT_MS }),
      startMegaWorker({ dataDir: join(root, 'worker-2'), env, startTimeoutMs: START_TIMEOUT_MS }),
    ]);
    const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    closes.push(async () => {
      await Promise.all(running.map((process) => process.stop()));
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b, ...workers] = running as [MegaServer, MegaServer, MegaWorker, MegaWorker];
    return {
      env,
      a,
      b,
      workers: workers as [MegaWorker, MegaWorker],
      token,
      initOutput,
      output: () =>
        [`serve A:\n${a.output()}`, `serve B:\n${b.output()}`]
          .concat(workers.map((worker) => `worker ${worker.id}:\n${worker.output()}`))
          .join('\n'),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
