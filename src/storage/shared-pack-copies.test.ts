import { describe, expect, it } from 'vitest';
import { MAX_SHARED_PACK_BYTES, SharedPackCopies } from './shared-pack-copies.js';

const frameTwice = (bytes: Buffer) => Buffer.concat([bytes, bytes]);

describe('SharedPackCopies', () => {
  it('reads a pack once for the senders holding it at the same time', async () => {
    const copies = new SharedPackCopies();
    let reads = 0;
    const read = async () => {
      reads++;
      return Buffer.from('PACK one');
    };
    const first = await copies.acquire('k', 8, read);
    const second = await copies.acquire('k', 8, read);
    expect(reads).toBe(1);
    expect(second?.bytes).toBe(first?.bytes);
    expect(copies.bytesHeld).toBe(16);
    first?.release();
    first?.release();
    expect(copies.bytesHeld).toBe(16);
    second?.release();
    expect(copies.bytesHeld).toBe(0);
    await copies.acquire('k', 8, read);
    expect(reads).toBe(2);
  });

  it('frames once per copy and only at one packet size', async () => {
    const copies = new SharedPackCopies();
    const a = await copies.acquire('k', 2, async () => Buffer.from('ab'));
    const b = await copies.acquire('k', 2, async () => Buffer.from('ab'));
    let framings = 0;
    const frame = (bytes: Buffer) => {
      framings++;
      return frameTwice(bytes);
    };
    expect(a?.framed(10, frame)?.toString()).toBe('abab');
    expect(b?.framed(10, frame)).toBe(a?.framed(10, frame));
    expect(framings).toBe(1);
    expect(b?.framed(20, frame)).toBeUndefined();
  });

  it('leaves packs over the size or the budget to stream from their files', async () => {
    const copies = new SharedPackCopies(100);
    const read = async () => Buffer.alloc(0);
    expect(await copies.acquire('big', MAX_SHARED_PACK_BYTES + 1, read)).toBeUndefined();
    const held = await copies.acquire('a', 40, async () => Buffer.alloc(40));
    expect(held).toBeDefined();
    expect(await copies.acquire('b', 40, async () => Buffer.alloc(40))).toBeUndefined();
    held?.release();
    expect(await copies.acquire('b', 40, async () => Buffer.alloc(40))).toBeDefined();
  });

  it('forgets a copy whose read failed', async () => {
    const copies = new SharedPackCopies();
    await expect(
      copies.acquire('k', 4, async () => {
        throw new Error('gone');
      }),
    ).rejects.toThrow('gone');
    expect(copies.bytesHeld).toBe(0);
    expect((await copies.acquire('k', 4, async () => Buffer.from('PACK')))?.bytes.toString()).toBe('PACK');
  });
});
