import { describe, expect, it } from 'vitest';
import { RecentContents, RecentIds, type RawIdColumn } from './recent-contents.js';

/** A distinct raw id for each number (its key, the first 30 bits, differs too). */
function rawId(n: number): Buffer {
  const id = Buffer.alloc(20, 0x5c);
  id.writeUInt32BE(n * 4, 0);
  return id;
}

/** Raw ids by entry, as the reader's entries keep them. */
class IdColumn implements RawIdColumn {
  readonly rawLength = 20;
  private ids = Buffer.alloc(0);
  rawIds(): Uint8Array {
    return this.ids;
  }
  set(index: number, n: number): void {
    this.setRaw(index, rawId(n));
  }
  setRaw(index: number, id: Buffer): void {
    const end = (index + 1) * this.rawLength;
    if (this.ids.length < end) this.ids = Buffer.concat([this.ids, Buffer.alloc(end - this.ids.length)]);
    id.copy(this.ids, index * this.rawLength);
  }
}

function place(recent: RecentContents, index: number, fill: number, length: number, keep = -1): boolean {
  const at = recent.reserve(length, keep);
  if (at < 0) return false;
  const room = recent.bytes.subarray(at, at + length);
  room.fill(fill);
  recent.commit(index, room);
  return true;
}

describe('RecentContents', () => {
  it('gives back what was placed until later placements cover it', () => {
    const recent = new RecentContents(100);
    expect(recent.maxContent).toBe(25);
    expect(recent.get(0)).toBeUndefined();
    for (let index = 0; index < 5; index++) expect(place(recent, index, index + 1, 20)).toBe(true);
    for (let index = 0; index < 5; index++) expect(recent.get(index)).toEqual(Buffer.alloc(20, index + 1));
    // The ring is full (0..100); the next 20 bytes go at its start again, over entry 0 only.
    expect(place(recent, 5, 6, 20)).toBe(true);
    expect(recent.get(0)).toBeUndefined();
    expect(recent.get(1)).toEqual(Buffer.alloc(20, 2));
    expect(recent.get(5)).toEqual(Buffer.alloc(20, 6));
  });

  it('runs its laps over the first part of the ring until a base is missed, then over all of it', () => {
    const recent = new RecentContents(400, 100);
    expect(recent.lap).toBe(100);
    for (let index = 0; index < 5; index++) place(recent, index, index + 1, 20);
    // The first lap is 100 bytes: entry 5 starts the second lap at the ring's start, over entry 0.
    place(recent, 5, 6, 20);
    expect(recent.bytes.subarray(0, 20)).toEqual(Buffer.alloc(20, 6));
    expect(recent.get(0)).toBeUndefined();
    expect(recent.get(1)).toEqual(Buffer.alloc(20, 2));
    // A missed base doubles the laps from the next one on; this one goes on to its end.
    recent.noteMissed();
    for (let index = 6; index < 10; index++) place(recent, index, index + 1, 20);
    expect(recent.lap).toBe(100);
    expect(recent.get(4)).toBeUndefined();
    place(recent, 10, 11, 20);
    expect(recent.lap).toBe(200);
    // The new lap covers the old one's bytes as it goes: entry 5 (0..20) only, so far.
    expect(recent.get(5)).toBeUndefined();
    for (let index = 6; index < 11; index++) expect(recent.get(index)).toEqual(Buffer.alloc(20, index + 1));
    for (let index = 11; index < 20; index++) place(recent, index, index + 1, 20);
    for (let index = 6; index < 10; index++) expect(recent.get(index)).toBeUndefined();
    for (let index = 10; index < 20; index++) expect(recent.get(index)).toEqual(Buffer.alloc(20, index + 1));
    // Up to the whole ring, never past it.
    recent.noteMissed();
    recent.noteMissed();
    place(recent, 20, 21, 20);
    expect(recent.lap).toBe(400);
    recent.noteMissed();
    for (let index = 21; index < 40; index++) place(recent, index, index + 1, 20);
    expect(recent.lap).toBe(400);
    expect(recent.get(20)).toEqual(Buffer.alloc(20, 21));
    expect(recent.bytes.subarray(380, 400)).toEqual(Buffer.alloc(20, 40));
  });

  it('gives a content too big for a small lap a lap over the whole ring at once', () => {
    const recent = new RecentContents(400, 100);
    place(recent, 0, 1, 20);
    expect(place(recent, 1, 2, 90)).toBe(true);
    expect(recent.lap).toBe(400);
    expect(recent.get(1)).toEqual(Buffer.alloc(90, 2));
    // The new lap starts at the ring's start, over entry 0.
    expect(recent.get(0)).toBeUndefined();
  });

  it('never wraps a content around the ring end', () => {
    const recent = new RecentContents(100);
    for (let index = 0; index < 4; index++) place(recent, index, index + 1, 22);
    // 88 bytes used: 20 more start the next lap, covering entry 0 (0..22) but not entry 1.
    expect(place(recent, 4, 9, 20)).toBe(true);
    expect(recent.get(4)).toEqual(Buffer.alloc(20, 9));
    expect(recent.get(0)).toBeUndefined();
    expect(recent.get(1)).toEqual(Buffer.alloc(22, 2));
  });

  it('refuses contents over a quarter of the ring, and room over the content to keep', () => {
    const recent = new RecentContents(100);
    expect(recent.reserve(26)).toBe(-1);
    place(recent, 0, 1, 25);
    place(recent, 1, 2, 25);
    place(recent, 2, 3, 25);
    place(recent, 3, 4, 25);
    expect(recent.reserve(10, 0)).toBe(-1);
    expect(recent.get(0)).toEqual(Buffer.alloc(25, 1));
    expect(place(recent, 4, 5, 10, 1)).toBe(true);
    expect(recent.get(0)).toBeUndefined();
  });

  it('records contents inside the last reservation only, for any entry number', () => {
    const recent = new RecentContents(1 << 10);
    const roomAt = recent.reserve(10);
    const room = recent.bytes.subarray(roomAt, roomAt + 10);
    room.fill(7);
    expect(recent.holdsReserved(room.subarray(2, 6))).toBe(true);
    expect(recent.holdsReserved(Buffer.alloc(5))).toBe(false);
    // A content after a header: only its own bytes are the entry's.
    recent.commit(100_000, room.subarray(3, 8));
    expect(recent.get(100_000)).toEqual(Buffer.alloc(5, 7));
    expect(recent.get(99_999)).toBeUndefined();
    expect(recent.get(-1)).toBeUndefined();
    const nextAt = recent.reserve(4);
    const next = recent.bytes.subarray(nextAt, nextAt + 4);
    expect(recent.holdsReserved(room)).toBe(false);
    expect(() => recent.commit(1, room)).toThrow(RangeError);
    recent.commit(1, next);
    expect(recent.get(1)).toHaveLength(4);
  });

  it('finds entries by id while their contents stay, and forgets them after', () => {
    const recent = new RecentContents(100);
    const column = new IdColumn();
    const ids = new RecentIds(recent, 0, column);
    const add = (index: number, n: number) => {
      column.set(index, n);
      ids.add(index);
    };
    for (let index = 0; index < 5; index++) {
      place(recent, index, index, 20);
      add(index, index);
    }
    expect(ids.indexOf(rawId(0))).toBe(0);
    expect(ids.indexOf(rawId(4))).toBe(4);
    expect(ids.indexOf(rawId(7))).toBe(-1);
    place(recent, 5, 5, 20);
    add(5, 5);
    expect(ids.indexOf(rawId(0))).toBe(-1);
    // A duplicate id placed later keeps it when the first copy is overwritten.
    place(recent, 6, 1, 20);
    add(6, 1);
    place(recent, 7, 7, 20);
    add(7, 7);
    expect(ids.indexOf(rawId(1))).toBe(6);
    for (let index = 8; index < 3000; index++) {
      place(recent, index, 0, 20);
      add(index, index % 9);
    }
    // Only the last five are still in the ring (ids 7, 8, 0, 1, 2).
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => ids.indexOf(rawId(n)))).toEqual([
      2997, 2998, 2999, -1, -1, -1, -1, 2995, 2996,
    ]);
  });

  it('looks an id up at an offset of its buffer', () => {
    const recent = new RecentContents(100);
    const column = new IdColumn();
    const ids = new RecentIds(recent, 0, column);
    place(recent, 0, 0, 20);
    column.set(0, 42);
    ids.add(0);
    expect(ids.indexOf(Buffer.concat([Buffer.alloc(3), rawId(42)]), 3)).toBe(0);
    expect(ids.indexOf(Buffer.concat([Buffer.alloc(3), rawId(43)]), 3)).toBe(-1);
  });

  it('keeps the later of two ids that share a key, and never mistakes one for the other', () => {
    const recent = new RecentContents(100);
    const column = new IdColumn();
    const ids = new RecentIds(recent, 0, column);
    // Same first 30 bits (the key), different last bits of the fourth byte and after.
    const first = Buffer.alloc(20, 0xaa);
    const second = Buffer.from(first);
    second[3] = 0xab;
    second[19] = 0x01;
    for (const [index, id] of [first, second].entries()) {
      place(recent, index, index, 20);
      column.setRaw(index, id);
      ids.add(index);
    }
    expect(ids.indexOf(second)).toBe(1);
    // The first is left to the resolver: not found, rather than found as the second.
    expect(ids.indexOf(first)).toBe(-1);
    const third = Buffer.from(second);
    third[19] = 0x02;
    expect(ids.indexOf(third)).toBe(-1);
  });

  it('starts with the ids of the entries still in the ring', () => {
    const recent = new RecentContents(100);
    const column = new IdColumn();
    for (let index = 0; index < 8; index++) {
      column.set(index, index);
      if (index !== 6) place(recent, index, index, 20);
    }
    const ids = new RecentIds(recent, 8, column);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => ids.indexOf(rawId(n)))).toEqual([-1, -1, 2, 3, 4, 5, -1, 7]);
  });

  it('keeps one entry per slot, however small the contents in the ring', () => {
    const recent = new RecentContents(1 << 20);
    const column = new IdColumn();
    const ids = new RecentIds(recent, 0, column, 128);
    for (let index = 0; index < 10_000; index++) {
      place(recent, index, index % 256, 1);
      column.set(index, index);
      ids.add(index);
    }
    // Ids 128 apart share a slot (the low bits of their keys): the later is found, never the other.
    expect(ids.indexOf(rawId(9_999))).toBe(9_999);
    expect(ids.indexOf(rawId(9_872))).toBe(9_872);
    expect(ids.indexOf(rawId(9_871))).toBe(-1);
    expect(() => new RecentIds(recent, 0, column, 100)).toThrow(RangeError);
  });
});
