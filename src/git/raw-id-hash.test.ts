import { describe, expect, it } from 'vitest';
import { DenseIdIndex } from './dense-id-index.js';
import { SHA1 } from './object-format.js';
import { RawIdTable } from './raw-id-table.js';

/** Ids that differ only in the 32-bit word at `at`: what a pusher may write into a tree. */
function* chosenIds(count: number, at: number): Generator<Buffer> {
  const id = Buffer.alloc(20, 0xab);
  for (let i = 0; i < count; i++) {
    id.writeUInt32BE(i, at);
    yield id;
  }
}

/**
 * Tree entries are the pusher's bytes, not hashes of real objects: ids sharing all but one word
 * must not pile up in one run of buckets (40,000 of them took 68 s in a push's fsck when the
 * bucket came from the first four bytes). Each case would run for hours if they did.
 */
describe.each([0, 8, 16])('raw id tables with ids differing only at byte %i', (at) => {
  const count = 200_000;

  it('RawIdTable keeps them apart', () => {
    const table = new RawIdTable(20);
    for (const id of chosenIds(count, at)) table.slot(id, 0);
    expect(table.size).toBe(count);
    const probe = Buffer.alloc(20, 0xab);
    probe.writeUInt32BE(count - 1, at);
    expect(table.find(probe, 0)).toBeGreaterThanOrEqual(0);
  });

  it('DenseIdIndex keeps them apart and numbers them in order', () => {
    const index = new DenseIdIndex(20);
    let expected = 0;
    for (const id of chosenIds(count, at)) expect(index.add(id, 0)).toBe(expected++);
    const probe = Buffer.alloc(20, 0xab);
    probe.writeUInt32BE(12_345, at);
    expect(index.find(probe, 0)).toBe(12_345);
    expect(index.idAt(12_345, SHA1)).toBe(probe.toString('hex'));
    probe.writeUInt32BE(count, at);
    expect(index.find(probe, 0)).toBe(-1);
  });
});
