import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { fsckStrict, startHttpFixture, type HttpFixture } from './http-fixture.js';

/** SPEC §10: serving or receiving big content keeps the server under 300 MB RSS (streaming). */
const FILE_BYTES = 200 * 1024 * 1024;
const RSS_LIMIT_MB = 300;

/** Samples the server's peak RSS (VmHWM) while `step` runs. */
async function peakRss(fx: HttpFixture, step: () => Promise<unknown>): Promise<number> {
  let peak = fx.server.rssMb();
  const timer = setInterval(() => {
    peak = Math.max(peak, fx.server.rssMb());
  }, 100);
  try {
    await step();
  } finally {
    clearInterval(timer);
  }
  const status = await readFile(`/proc/${fx.server.process.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  return Math.max(peak, hwm);
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 1024 * 1024;
  for (let written = 0; written < bytes; written += chunk) {
    if (!out.write(randomBytes(Math.min(chunk, bytes - written)))) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

describe('a 200 MB file over smart HTTP', () => {
  let fx: HttpFixture;
  beforeAll(async () => {
    fx = await startHttpFixture();
    const source = join(fx.work, 'source');
    await git(['init', '-q', '-b', 'main', source]);
    await writeRandomFile(join(source, 'big.bin'), FILE_BYTES);
    await git(['-C', source, 'add', 'big.bin']);
    await git(['-C', source, 'commit', '-q', '-m', 'a big file']);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('is pushed with the server under the memory bound', async () => {
    const peak = await peakRss(fx, () =>
      fx.git(2, ['-C', join(fx.work, 'source'), 'push', '-q', fx.url('/import/big.git'), 'main']),
    );
    expect(peak).toBeLessThan(RSS_LIMIT_MB);
  });

  it('is cloned with the server under the memory bound', async () => {
    const target = join(fx.work, 'clone');
    // A fresh process: its peak RSS is the clone's alone.
    await fx.restart();
    const peak = await peakRss(fx, () => fx.anonymous(2, ['clone', '-q', fx.url('/import/big.git'), target]));
    expect((await stat(join(target, 'big.bin'))).size).toBe(FILE_BYTES);
    await fsckStrict(target);
    expect(peak).toBeLessThan(RSS_LIMIT_MB);
  });
});
