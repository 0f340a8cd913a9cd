import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PayloadInflater } from './payload-inflater.js';

describe('PayloadInflater', () => {
  it('returns small payloads in buffers of their own size, not 16 KiB zlib chunks', async () => {
    const inflater = new PayloadInflater();
    const content = Buffer.from('100644 file\0'.repeat(20));
    const deflated = zlib.deflateSync(content);
    for (const inflated of [
      inflater.inflateSync(deflated, content.length),
      await inflater.inflate(deflated, content.length),
    ]) {
      expect(inflated).toEqual(content);
      // At most Node's shared 8 KiB pool slab, which small buffers share.
      expect(inflated.buffer.byteLength).toBeLessThanOrEqual(8192);
    }
  });

  it('is reused for payload after payload; earlier results stay intact', () => {
    const inflater = new PayloadInflater();
    const contents = [
      Buffer.from('a'.repeat(5000)),
      Buffer.from(''),
      Buffer.from('short'),
      Buffer.alloc(20_000, 7),
    ];
    const results = contents.map((content) =>
      inflater.inflateSync(zlib.deflateSync(content), content.length),
    );
    expect(results).toEqual(contents);
  });

  it('inflates big payloads (the thread-pool path) whole', async () => {
    const content = Buffer.alloc(300_000, 'x');
    expect(await new PayloadInflater().inflate(zlib.deflateSync(content), content.length)).toEqual(content);
  });

  it('refuses corrupt, truncated, wrongly sized and trailing-garbage payloads', () => {
    const inflater = new PayloadInflater();
    const content = Buffer.from('tree contents '.repeat(10));
    const deflated = zlib.deflateSync(content);
    expect(() => inflater.inflateSync(Buffer.from('not zlib at all'), 10)).toThrow();
    expect(() => inflater.inflateSync(deflated.subarray(0, deflated.length - 6), content.length)).toThrow();
    expect(() => inflater.inflateSync(deflated, content.length - 1)).toThrow();
    expect(() => inflater.inflateSync(deflated, content.length + 1)).toThrow();
    expect(() =>
      inflater.inflateSync(Buffer.concat([deflated, Buffer.from('xx')]), content.length),
    ).toThrow();
    // Still usable after errors.
    expect(inflater.inflateSync(deflated, content.length)).toEqual(content);
  });
});
