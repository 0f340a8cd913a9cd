/**
 * Reusable pieces for delta results kept as bases while their children are resolved. The
 * resolver walks depth-first, so a base is released as soon as its last child is applied, and
 * the next kept base reuses its piece: no buffer allocated (and collected) per kept base.
 * Bounded: contents larger than a piece, or kept while `maxPieces` are lent, are copied into a
 * buffer of their own as before.
 */
export class KeptBases {
  private readonly free: ArrayBuffer[] = [];
  private readonly lent = new Set<ArrayBufferLike>();

  constructor(
    private readonly pieceSize = 64 * 1024,
    private readonly maxPieces = 64,
  ) {}

  /** A copy of `data` that stays valid until `release`. */
  keep(data: Buffer): Buffer {
    if (data.length > this.pieceSize || this.lent.size >= this.maxPieces) return Buffer.from(data);
    const piece = this.free.pop() ?? new ArrayBuffer(this.pieceSize);
    this.lent.add(piece);
    const kept = Buffer.from(piece, 0, data.length);
    kept.set(data);
    return kept;
  }

  /** Gives back a buffer from `keep` (others are ignored); it must not be used afterwards. */
  release(content: Buffer): void {
    const piece = content.buffer;
    if (this.lent.delete(piece)) this.free.push(piece as ArrayBuffer);
  }

  /** Pieces lent and not released (for tests). */
  get lentCount(): number {
    return this.lent.size;
  }
}
