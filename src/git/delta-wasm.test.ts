import { describe, expect, it } from 'vitest';
import { applyDeltaWithin, deltaSizes } from './delta.js';
import { deltaModuleBytes, wasmDeltaMemory } from './delta-wasm.js';
import { RecentContents } from './recent-contents.js';

/** A small deterministic generator, so a failure names the seed that made it. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

/** A size varint as git writes it. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

/** A copy instruction with only the offset and size bytes that are not zero, as git writes it. */
function copy(offset: number, size: number): number[] {
  let op = 0x80;
  const args: number[] = [];
  for (let i = 0; i < 4; i++) {
    const byte = Math.floor(offset / 2 ** (8 * i)) & 0xff;
    if (byte) {
      op |= 1 << i;
      args.push(byte);
    }
  }
  const stored = size === 0x10000 ? 0 : size;
  for (let i = 0; i < 3; i++) {
    const byte = (stored >> (8 * i)) & 0xff;
    if (byte) {
      op |= 0x10 << i;
      args.push(byte);
    }
  }
  return [op, ...args];
}

/** A valid delta on a base of `baseSize` bytes: random copies (some of 0x10000) and inserts. */
function validDelta(next: () => number, baseSize: number): number[] {
  const instructions: number[] = [];
  let resultSize = 0;
  const steps = 1 + Math.floor(next() * 40);
  for (let i = 0; i < steps; i++) {
    if (next() < 0.5 && baseSize > 0) {
      const big = baseSize >= 0x10000 && next() < 0.1;
      const size = big ? 0x10000 : 1 + Math.floor(next() * Math.min(baseSize, 300));
      const offset = Math.floor(next() * (baseSize - size + 1));
      instructions.push(...copy(offset, size));
      resultSize += size;
    } else {
      const size = 1 + Math.floor(next() * 127);
      instructions.push(size);
      for (let j = 0; j < size; j++) instructions.push(Math.floor(next() * 256));
      resultSize += size;
    }
  }
  return [...varint(baseSize), ...varint(resultSize), ...instructions];
}

/** Damages a delta's instructions: a byte changed, cut short, or an instruction appended. */
function damaged(next: () => number, delta: number[]): number[] {
  const bytes = [...delta];
  const kind = next();
  if (kind < 0.4) {
    const at = 2 + Math.floor(next() * (bytes.length - 2));
    bytes[at] = Math.floor(next() * 256);
  } else if (kind < 0.7) {
    bytes.length = 2 + Math.floor(next() * (bytes.length - 2));
  } else if (kind < 0.8) {
    bytes.push(0);
  } else if (kind < 0.9) {
    // A copy whose offset has its top bit set: outside any base.
    bytes.push(0x88, 0x80 + Math.floor(next() * 0x80));
  } else {
    bytes.push(...copy(Math.floor(next() * 0x100000000), 1 + Math.floor(next() * 0xffffff)));
  }
  return bytes;
}

const RING = 1 << 20;
const ROOM = 1 << 16;

/** Whether the ring's WebAssembly loop applies `delta` as `applyDeltaWithin` does, or refuses it as it does. */
function expectSameAsJavaScript(recent: RecentContents, base: Uint8Array, delta: Uint8Array): void {
  const ring = recent.bytes;
  ring.set(base, 0);
  const resultAt = 0x80000;
  let expected: Buffer | undefined;
  const javascript = Buffer.alloc(RING);
  javascript.set(base, 0);
  try {
    const size = applyDeltaWithin(javascript, 0, base.length, delta, resultAt);
    expected = javascript.subarray(resultAt, resultAt + size);
  } catch {
    expected = undefined;
  }
  let sizes: ReturnType<typeof deltaSizes>;
  try {
    sizes = deltaSizes(delta);
  } catch {
    // The reader checks the sizes first: such a delta never reaches the loop.
    expect(expected).toBeUndefined();
    return;
  }
  if (sizes.baseSize !== base.length || resultAt + sizes.resultSize > RING) {
    expect(expected).toBeUndefined();
    return;
  }
  const applied = recent.applyDelta(delta, sizes.headerLength, 0, base.length, resultAt, sizes.resultSize);
  expect(applied).toBe(expected !== undefined);
  if (expected) expect(Buffer.compare(ring.subarray(resultAt, resultAt + expected.length), expected)).toBe(0);
}

describe('the delta loop in WebAssembly', () => {
  it('builds a module WebAssembly accepts, over a memory of whole pages', () => {
    expect(deltaModuleBytes().subarray(0, 4)).toEqual(Uint8Array.from([0, 0x61, 0x73, 0x6d]));
    expect(wasmDeltaMemory(RING)?.buffer.byteLength).toBe(RING);
    expect(wasmDeltaMemory(RING + 1)?.buffer.byteLength).toBe(RING + 64 * 1024);
  });

  it('applies 2,000 random deltas as applyDeltaWithin does', () => {
    const recent = new RecentContents(RING, RING, ROOM);
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const base = Uint8Array.from({ length: Math.floor(next() * (seed % 10 === 0 ? 0x18000 : 3000)) }, () =>
        Math.floor(next() * 256),
      );
      const delta = Uint8Array.from(validDelta(next, base.length));
      if (delta.length > ROOM) continue;
      expectSameAsJavaScript(recent, base, delta);
    }
  });

  it('refuses every damaged delta applyDeltaWithin refuses, and applies the rest alike', () => {
    const recent = new RecentContents(RING, RING, ROOM);
    let refused = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed * 7919);
      const base = Uint8Array.from({ length: Math.floor(next() * 2000) }, () => Math.floor(next() * 256));
      const delta = Uint8Array.from(damaged(next, validDelta(next, base.length)));
      const javascript = Buffer.alloc(RING);
      javascript.set(base, 0);
      try {
        applyDeltaWithin(javascript, 0, base.length, delta, 0x80000);
      } catch {
        refused++;
      }
      expectSameAsJavaScript(recent, base, delta);
    }
    // Most damage is refused; the test must see plenty of both.
    expect(refused).toBeGreaterThan(1500);
  });

  it('refuses each kind of malformed instruction', () => {
    const recent = new RecentContents(RING, RING, ROOM);
    const base = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const cases = [
      [36, 10, 0x91, 30, 10], // copy past the base
      [36, 2, 0x90, 5], // copy past the result
      [36, 5, 5, 0x41], // insert past the delta
      [36, 1, 2, 0x41, 0x42], // insert past the result
      [36, 1, 0], // the reserved opcode
      [36, 5, 1, 0x41], // a short result
      [36, 5, 0x91, 1], // a truncated copy
      [36, 5, 0x98, 0xff, 5], // an offset of 2^32 - 2^24
      [36, 0x80, 0x80, 0x04, 0x80], // a copy of 0x10000 from a base of 36
    ];
    for (const bytes of cases) {
      const delta = Uint8Array.from(bytes);
      const { headerLength, resultSize } = deltaSizes(delta);
      recent.bytes.set(base, 0);
      expect(recent.applyDelta(delta, headerLength, 0, base.length, 1000, resultSize)).toBe(false);
    }
  });

  it('leaves deltas bigger than its room, and rings without room, to JavaScript', () => {
    const base = Buffer.from('0123456789');
    const delta = Uint8Array.from([10, 10, 0x90, 10]);
    expect(new RecentContents(RING).applyDelta(delta, 2, 0, 10, 100, 10)).toBe(false);
    const small = new RecentContents(RING, RING, 2);
    small.bytes.set(base, 0);
    expect(small.applyDelta(delta, 2, 0, 10, 100, 10)).toBe(false);
    const roomy = new RecentContents(RING, RING, 4);
    roomy.bytes.set(base, 0);
    expect(roomy.applyDelta(delta, 2, 0, 10, 100, 10)).toBe(true);
    expect(roomy.bytes.subarray(100, 110).toString()).toBe('0123456789');
  });
});
