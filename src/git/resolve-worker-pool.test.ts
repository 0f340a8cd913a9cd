import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MegaError } from '../platform/errors.js';
import { hashObject } from './object.js';
import { PackEntryType } from './pack-format.js';
import { runResolveJob, type ResolveJob } from './resolve-job.js';
import { ResolveWorkerPool } from './resolve-worker-pool.js';

const BASE = Buffer.from('hello world, hello workers\n');
/** Copies the whole base, then inserts "!". */
const APPEND = Buffer.from([BASE.length, BASE.length + 1, 0x90, BASE.length, 1, 0x21]);

/** A job of one tree: a zlib blob root and one plain delta on it (then `extra` more). */
function jobOf(delta: Buffer, options: Partial<ResolveJob> = {}): ResolveJob {
  const root = Buffer.concat([zlib.deflateSync(BASE), Buffer.from([0])]);
  const bytes = Buffer.concat([root, delta]);
  return {
    format: 'sha1',
    maxObjectSize: 1 << 20,
    maxNonBlobSize: 1 << 20,
    maxDeltaDepth: 10,
    wantData: false,
    maxResultBytes: 1 << 20,
    parents: Int32Array.from([-1, 0]),
    types: Uint8Array.from([PackEntryType.Blob, 0]),
    zlib: Uint8Array.from([1, 0]),
    sizes: Float64Array.from([BASE.length, 0]),
    starts: Float64Array.from([0, root.length]),
    lengths: Float64Array.from([root.length, delta.length]),
    offsets: Float64Array.from([12, 40]),
    bytes: new Uint8Array(bytes).buffer,
    ...options,
  };
}

const RESULT_ID = hashObject('blob', Buffer.concat([BASE, Buffer.from('!')]));

describe('delta resolution jobs', () => {
  it('resolves and hashes on this thread', () => {
    const result = runResolveJob(jobOf(APPEND, { wantData: true }));
    expect(result.tooBig).toBe(false);
    expect(Array.from(result.nodes)).toEqual([1]);
    expect(result.ids).toBe(RESULT_ID);
    const data = Buffer.from(result.arenas[result.arenaOf[0]!]!, result.dataStarts[0], result.sizes[0]);
    expect(data.toString()).toBe(`${BASE.toString()}!`);
  });

  it('gives up on contents over the budget instead of holding them', () => {
    expect(runResolveJob(jobOf(APPEND, { wantData: true, maxResultBytes: 10 })).tooBig).toBe(true);
  });

  it.each([
    ['a copy out of bounds', Buffer.from([BASE.length, 10, 0x91, 20, 10]), 'delta_copy_out_of_bounds'],
    ['a wrong base size', Buffer.from([3, 4, 0x90, 3, 1, 0x21]), 'delta_base_size_mismatch'],
    ['a truncated header', Buffer.from([0x80]), 'delta_truncated'],
  ])('throws typed errors for %s', (_name, delta, code) => {
    expect(() => runResolveJob(jobOf(delta))).toThrow(expect.objectContaining({ code }));
  });

  it('refuses chains deeper than the limit', () => {
    expect(() => runResolveJob(jobOf(APPEND, { maxDeltaDepth: 0 }))).toThrow(
      expect.objectContaining({ code: 'pack_delta_chain_too_deep' }),
    );
  });
});

describe('ResolveWorkerPool', () => {
  const pool = new ResolveWorkerPool(2);
  afterAll(() => pool.close());

  it('starts its workers and runs jobs on them', async () => {
    expect(await pool.ready).toBe(true);
    const owner = pool.acquire();
    const results = await Promise.all([1, 2, 3].map(() => pool.run(jobOf(APPEND), owner)));
    pool.release(owner);
    expect(results.map((result) => result.ids)).toEqual([RESULT_ID, RESULT_ID, RESULT_ID]);
  });

  it('rethrows a worker error as the same MegaError', async () => {
    const owner = pool.acquire();
    const failed = pool.run(jobOf(Buffer.from([BASE.length, 10, 0x91, 20, 10])), owner);
    await expect(failed).rejects.toBeInstanceOf(MegaError);
    await expect(failed).rejects.toMatchObject({ code: 'delta_copy_out_of_bounds', kind: 'invalid' });
    pool.release(owner);
  });

  it('drops the queued jobs of a released owner', async () => {
    const owner = pool.acquire();
    const jobs = [1, 2, 3, 4, 5].map(() => pool.run(jobOf(APPEND), owner));
    for (const job of jobs) job.catch(() => undefined);
    pool.release(owner);
    const settled = await Promise.allSettled(jobs);
    expect(settled.some((outcome) => outcome.status === 'rejected')).toBe(true);
  });
});
