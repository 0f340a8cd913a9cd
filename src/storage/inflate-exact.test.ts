import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateExact, inflateExactSync } from './inflate-exact.js';

describe('inflateExact', () => {
  it('returns small payloads in buffers of their own size, not 16 KiB zlib chunks', async () => {
    const content = Buffer.from('100644 file\0'.repeat(20));
    const deflated = zlib.deflateSync(content);
    for (const inflated of [
      inflateExactSync(deflated, content.length),
      await inflateExact(deflated, content.length),
    ]) {
      expect(inflated).toEqual(content);
      // At most Node's shared 8 KiB pool slab, which small buffers share.
      expect(inflated.buffer.byteLength).toBeLessThanOrEqual(8192);
    }
  });

  it('inflates big payloads (the asynchronous path) whole', async () => {
    const content = Buffer.alloc(300_000, 'x');
    expect(await inflateExact(zlib.deflateSync(content), content.length)).toEqual(content);
  });

  it('rejects a corrupt stream', () => {
    expect(() => inflateExactSync(Buffer.from('not zlib at all'), 10)).toThrow();
  });
});
