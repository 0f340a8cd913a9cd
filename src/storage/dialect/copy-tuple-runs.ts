import { COPY_PIECE_BYTES } from './copy-binary-encoder.js';

/**
 * Merges runs of binary COPY tuples (`encodeCopyTuples`' pieces: whole tuples, each an int16
 * field count and its fields as int32 length + bytes), each run ordered by its tuples' first
 * field as bytes, into one run in that order (a NULL first field sorts first; equal keys keep
 * their run order). The tuples' bytes are copied as they are into pieces of about `pieceBytes`.
 *
 * Why: a COPY that carries several sorted batches inserts each batch's keys into the unique
 * index's B-tree in a sweep of its own; one sweep over all of them touches each leaf page once
 * (PostgreSQL 15, the bench pack's object rows into a table holding another repository: the
 * COPYs' server CPU 12 % lower; docs/scale.md, "The database servers' share of the ingest").
 */
export function mergeTupleRuns(
  runs: readonly (readonly Buffer[])[],
  pieceBytes = COPY_PIECE_BYTES,
): Buffer[] {
  if (runs.length <= 1) return [...(runs[0] ?? [])];
  const heads = runs.map((run) => new TupleCursor(run));
  const out: Buffer[] = [];
  let piece = Buffer.allocUnsafe(pieceBytes);
  let used = 0;
  for (;;) {
    let best: TupleCursor | undefined;
    for (const head of heads) if (!head.done && (best === undefined || head.keyBefore(best))) best = head;
    if (best === undefined) break;
    const size = best.end - best.start;
    if (used + size > piece.length) {
      if (used > 0) out.push(piece.subarray(0, used));
      piece = Buffer.allocUnsafe(Math.max(pieceBytes, size));
      used = 0;
    }
    used += best.piece.copy(piece, used, best.start, best.end);
    best.next();
  }
  if (used > 0) out.push(piece.subarray(0, used));
  return out;
}

/** The current tuple of one run: its bytes and its first field's. */
class TupleCursor {
  private pieceIndex = 0;
  piece: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  /** The first field's bytes, `keyEnd < keyStart` for NULL. */
  private keyStart = 0;
  private keyEnd = 0;
  /** The first four key bytes as a number (0 past the key's end): most comparisons end here. */
  private prefix = 0;
  done = false;

  constructor(private readonly run: readonly Buffer[]) {
    this.read(0);
  }

  /** Whether this tuple's key sorts before `other`'s (ties go to the earlier run). */
  keyBefore(other: TupleCursor): boolean {
    if (this.prefix !== other.prefix) return this.prefix < other.prefix;
    const nullHere = this.keyEnd < this.keyStart;
    const nullThere = other.keyEnd < other.keyStart;
    if (nullHere || nullThere) return nullHere && !nullThere;
    return this.piece.compare(other.piece, other.keyStart, other.keyEnd, this.keyStart, this.keyEnd) < 0;
  }

  next(): void {
    this.read(this.end);
  }

  private read(at: number): void {
    while (at >= this.piece.length) {
      if (this.pieceIndex >= this.run.length) {
        this.done = true;
        return;
      }
      this.piece = this.run[this.pieceIndex++]!;
      at = 0;
    }
    const piece = this.piece;
    this.start = at;
    const fields = piece.readInt16BE(at);
    if (fields < 1) throw new RangeError(`a COPY tuple of ${fields} fields`);
    at += 2;
    for (let field = 0; field < fields; field++) {
      const length = piece.readInt32BE(at);
      at += 4;
      if (field === 0) {
        this.keyStart = at;
        this.keyEnd = length < 0 ? at - 1 : at + length;
      }
      if (length > 0) at += length;
    }
    if (at > piece.length) throw new RangeError('a COPY tuple past the end of its piece');
    this.end = at;
    let prefix = 0;
    for (let i = 0; i < 4; i++) {
      const index = this.keyStart + i;
      prefix = prefix * 256 + (index < this.keyEnd ? piece[index]! : 0);
    }
    this.prefix = this.keyEnd < this.keyStart ? -1 : prefix;
  }
}
