import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { removeStaleSpools, SpillingPackSpool, spoolDirectory } from './pack-file-spool.js';

/** A pack header (`PACK`, version 2, `objects`) followed by `bodyBytes` of a repeating pattern. */
function packBytes(objects: number, bodyBytes: number): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects, 8);
  const body = Buffer.alloc(bodyBytes);
  for (let i = 0; i < bodyBytes; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
  return Buffer.concat([header, body]);
}

/** Appends `bytes` in pieces of `piece` bytes, as a request body arrives. */
async function appendInPieces(spool: SpillingPackSpool, bytes: Buffer, piece: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += piece) {
    await spool.append(bytes.subarray(offset, Math.min(bytes.length, offset + piece)));
  }
}

describe('SpillingPackSpool', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let tempDir: string;

  beforeEach(async () => {
    dir = await makeTempDir('mega-spool-');
    tempDir = join(dir.path, 'tmp');
  });

  afterEach(async () => {
    await dir.remove();
  });

  const files = () => readdir(tempDir).catch(() => [] as string[]);

  it('reads back the same bytes before and after spilling to a file, and removes the file', async () => {
    const spool = new SpillingPackSpool(tempDir, 10);
    const parts = [Buffer.from('0123456'), Buffer.from('789ab'), Buffer.from('cdefghij')];
    await spool.append(parts[0]!);
    expect(spool.read(2, 3).toString()).toBe('234');
    expect(await files()).toEqual([]);
    await spool.append(parts[1]!);
    await spool.append(parts[2]!);
    expect(await files()).toHaveLength(1);
    expect(spool.read(5, 10).toString()).toBe('56789abcde');
    await spool.dispose();
    expect(await files()).toEqual([]);
  });

  it('reads across the boundary of what was in memory and what was written after the spill', async () => {
    const bytes = packBytes(1_000_000, 3 * 1024 * 1024);
    const spool = new SpillingPackSpool(tempDir, 1024 * 1024 + 100);
    await appendInPieces(spool, bytes, 65_536);
    expect(await files()).toHaveLength(1);
    // The first spilled piece starts at the first append that no longer fitted in memory.
    const boundary = 16 * 65_536;
    for (const [offset, length] of [
      [0, 12],
      [boundary - 10, 20],
      [boundary - 1, 1],
      [boundary, 1],
      [5, bytes.length - 5],
    ] as const) {
      expect(spool.read(offset, length).equals(bytes.subarray(offset, offset + length))).toBe(true);
      const target = Buffer.alloc(length);
      spool.readInto(offset, target);
      expect(target.equals(bytes.subarray(offset, offset + length))).toBe(true);
    }
    await spool.dispose();
    expect(await files()).toEqual([]);
  });

  it('keeps a pack of many small objects in memory up to its budget', async () => {
    const spool = new SpillingPackSpool(tempDir, 4 * 1024 * 1024);
    await appendInPieces(spool, packBytes(100_000, 3 * 1024 * 1024), 65_536);
    expect(await files()).toEqual([]);
    await spool.dispose();
  });

  it('spills a pack of few big objects after its first MiB, whatever the budget', async () => {
    const bytes = packBytes(3, 3 * 1024 * 1024);
    const spool = new SpillingPackSpool(tempDir, 64 * 1024 * 1024);
    await appendInPieces(spool, bytes.subarray(0, 1024 * 1024), 65_536);
    expect(await files()).toEqual([]);
    await appendInPieces(spool, bytes.subarray(1024 * 1024), 65_536);
    expect(await files()).toHaveLength(1);
    expect(spool.read(0, bytes.length).equals(bytes)).toBe(true);
    await spool.dispose();
    expect(await files()).toEqual([]);
  });

  it('finds the header when it arrives split over several appends', async () => {
    const bytes = packBytes(2, 2 * 1024 * 1024);
    const spool = new SpillingPackSpool(tempDir, 64 * 1024 * 1024);
    await spool.append(bytes.subarray(0, 5));
    await spool.append(bytes.subarray(5, 9));
    await appendInPieces(spool, bytes.subarray(9), 65_536);
    expect(await files()).toHaveLength(1);
    expect(spool.read(0, bytes.length).equals(bytes)).toBe(true);
    await spool.dispose();
  });

  it('keeps a pack of few objects in memory when its file cannot be written, up to the budget', async () => {
    // A file where the temp directory should be: every spill fails, as on a full disk.
    await writeFile(join(dir.path, 'blocked'), '');
    const unwritable = join(dir.path, 'blocked', 'tmp');
    const bytes = packBytes(2, 3 * 1024 * 1024);
    const spool = new SpillingPackSpool(unwritable, 4 * 1024 * 1024);
    await appendInPieces(spool, bytes, 65_536);
    expect(spool.read(0, bytes.length).equals(bytes)).toBe(true);
    await expect(spool.append(Buffer.alloc(2 * 1024 * 1024))).rejects.toThrow();
    await spool.dispose();
  });

  it('keeps its whole budget for bytes that are not a pack', async () => {
    const spool = new SpillingPackSpool(tempDir, 4 * 1024 * 1024);
    const bytes = Buffer.alloc(3 * 1024 * 1024, 1);
    await appendInPieces(spool, bytes, 65_536);
    expect(await files()).toEqual([]);
    expect(spool.read(1000, 10).equals(bytes.subarray(1000, 1010))).toBe(true);
    await spool.dispose();
  });

  it('throws RangeError for reads outside what was appended, in memory and from the file', async () => {
    const spool = new SpillingPackSpool(tempDir, 16);
    await spool.append(Buffer.from('0123456789'));
    expect(() => spool.read(5, 6)).toThrow(RangeError);
    expect(() => spool.read(-1, 2)).toThrow(RangeError);
    expect(() => spool.readInto(8, Buffer.alloc(3))).toThrow(RangeError);
    await spool.append(Buffer.from('abcdefghij'));
    expect(await files()).toHaveLength(1);
    expect(spool.read(15, 5).toString()).toBe('fghij');
    expect(() => spool.read(15, 10)).toThrow(RangeError);
    expect(() => spool.read(-1, 2)).toThrow(RangeError);
    expect(() => spool.readInto(19, Buffer.alloc(2))).toThrow(RangeError);
    await spool.dispose();
    expect(await files()).toEqual([]);
  });

  it('disposes a spool that never spilled, and one disposed twice', async () => {
    const spool = new SpillingPackSpool(tempDir);
    await spool.append(Buffer.from('small'));
    await spool.dispose();
    await spool.dispose();
    expect(await files()).toEqual([]);
  });

  it('removes spilled packs a crashed process left behind, once they are old', async () => {
    const spool = new SpillingPackSpool(spoolDirectory(dir.path), 4);
    await spool.append(Buffer.from('0123456789'));
    expect(await readdir(spoolDirectory(dir.path))).toHaveLength(1);
    expect(await removeStaleSpools(dir.path, 60_000)).toBe(0);
    expect(await removeStaleSpools(dir.path, -1)).toBe(1);
    expect(await readdir(spoolDirectory(dir.path))).toEqual([]);
    await spool.dispose();
  });
});
