import { describe, expect, it } from 'vitest';
import { SharedPackCopies } from '../storage/shared-pack-copies.js';
import type { CachedPack } from '../storage/pack-cache.js';
import { sendCachedPack } from './clone-pack-cache.js';
import { GitResponseWriter, type SidebandMode } from './response-writer.js';

/** A pack-like buffer: header with an object count, then bytes across several packets. */
const pack = Buffer.concat([
  Buffer.from('PACK'),
  Buffer.from([0, 0, 0, 2, 0, 0, 0x01, 0x2c]),
  Buffer.from(Array.from({ length: 2_500_000 }, (_, i) => (i * 7) % 256)),
]);

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function sent(mode: SidebandMode, cached: CachedPack): Promise<{ bytes: Buffer; objects: number }> {
  const out: Buffer[] = [];
  const writer = new GitResponseWriter({ write: async (chunk) => void out.push(Buffer.from(chunk)) }, mode);
  const objects = await sendCachedPack(cached, writer);
  await writer.flushData();
  return { bytes: Buffer.concat(out), objects };
}

describe('sendCachedPack', () => {
  for (const mode of ['side-band-64k', 'side-band', 'none'] as const) {
    it(`sends a shared copy exactly as the file's pieces (${mode})`, async () => {
      const fromFile = await sent(mode, { size: pack.length, chunks: pieces(pack, 1 << 20) });
      const copies = new SharedPackCopies();
      // Held by another sender too: the copy outlives this send, framed for both.
      const other = await copies.acquire('k', pack.length, async () => pack);
      const shared = await copies.acquire('k', pack.length, async () => pack);
      const fromCopy = await sent(mode, {
        size: pack.length,
        chunks: pieces(pack, 1 << 20),
        shared: shared!,
      });
      expect(fromCopy.bytes.equals(fromFile.bytes)).toBe(true);
      expect(fromCopy.objects).toBe(300);
      expect(fromFile.objects).toBe(300);
      // This sender's hold is released; the other's keeps the copy.
      expect(copies.bytesHeld).toBe(2 * pack.length);
      other?.release();
      expect(copies.bytesHeld).toBe(0);
    });
  }
});
