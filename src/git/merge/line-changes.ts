/**
 * The line diff the three-way merge is built on: Myers' greedy O((N+M)·D) search over interned
 * lines (lines compare byte for byte, terminators included, as xdiff does), then each side's
 * changed lines are slid as far down as identical lines allow (xdiff's compaction without the
 * indent heuristic) so an ambiguous insertion lands where git puts it, and the result is a list of
 * hunks. Past `MAX_MERGE_EDIT_DISTANCE` (or the work bound) the differing middle is one hunk: a
 * correct, coarser diff, which a merge turns into a bigger conflict rather than a slow server.
 *
 * (`src/repo/browse/line-diff.ts` has a display diff over text lines; src/git cannot import the
 * repo layer, and a merge needs byte-exact lines, terminators included, and git's compaction.)
 */

/** Edit distance beyond which the search stops looking for a minimal script (memory is O(D²)). */
export const MAX_MERGE_EDIT_DISTANCE = 4000;
/** Bound on (N+M)·D, the work of one search. */
export const MAX_MERGE_DIFF_WORK = 100_000_000;

/** One change: lines [aStart, aEnd) of the old side became lines [bStart, bEnd) of the new side. */
export interface LineHunk {
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
}

/** Lines as integers: equal lines get equal numbers across every array interned with one table. */
export class LineTable {
  private readonly ids = new Map<string, number>();

  intern(lines: readonly Buffer[]): Int32Array {
    const out = new Int32Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const key = lines[i]!.toString('latin1');
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(key, id);
      }
      out[i] = id;
    }
    return out;
  }
}

/** Splits content into lines, each keeping its `\n` (the last one may have none). */
export function splitKeepingEol(content: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf(10, start);
    const end = newline < 0 ? content.length : newline + 1;
    lines.push(content.subarray(start, end));
    start = end;
  }
  return lines;
}

/** The hunks turning `a` into `b`, compacted like git. */
export function lineHunks(a: Int32Array, b: Int32Array): LineHunk[] {
  const changedA = new Uint8Array(a.length + 1);
  const changedB = new Uint8Array(b.length + 1);
  markChanges(a, b, changedA, changedB);
  compact(a, changedA, runSizes(changedB, b.length));
  compact(b, changedB, runSizes(changedA, a.length));
  const hunks: LineHunk[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && !changedA[i] && !changedB[j]) {
      i++;
      j++;
      continue;
    }
    const aStart = i;
    const bStart = j;
    while (i < a.length && changedA[i]) i++;
    while (j < b.length && changedB[j]) j++;
    hunks.push({ aStart, aEnd: i, bStart, bEnd: j });
  }
  return hunks;
}

/** Flags the lines of each side that are not part of the common subsequence found. */
function markChanges(a: Int32Array, b: Int32Array, changedA: Uint8Array, changedB: Uint8Array): void {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  const aHi = a.length - suffix;
  const bHi = b.length - suffix;
  const n = aHi - prefix;
  const m = bHi - prefix;
  if (n === 0 || m === 0) {
    changedA.fill(1, prefix, aHi);
    changedB.fill(1, prefix, bHi);
    return;
  }
  const max = n + m;
  const limit = Math.min(max, MAX_MERGE_EDIT_DISTANCE, Math.floor(MAX_MERGE_DIFF_WORK / max));
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[prefix + x] === b[prefix + y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    changedA.fill(1, prefix, aHi);
    changedB.fill(1, prefix, bHi);
    return;
  }
  // Walk the saved frontiers back from (n, m): every non-diagonal step is one changed line.
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const frontier = trace[d]!;
    const at = (k: number): number => frontier[k + d + 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    if (down) changedB[prefix + prevY] = 1;
    else changedA[prefix + prevX] = 1;
    x = prevX;
    y = prevY;
  }
}

/** Sizes of the runs of changed lines between consecutive unchanged lines (index = unchanged lines before). */
function runSizes(changed: Uint8Array, length: number): Int32Array {
  let unchanged = 0;
  for (let i = 0; i < length; i++) if (!changed[i]) unchanged++;
  const sizes = new Int32Array(unchanged + 1);
  let index = 0;
  for (let i = 0; i < length; i++) {
    if (changed[i]) sizes[index]!++;
    else index++;
  }
  return sizes;
}

/**
 * Slides each run of changed lines up, then down, as far as equal lines allow (merging runs that
 * meet), so the same edit always gives the same hunk whatever path the search took; then back up
 * to the lowest place where it faces a run of changes of the other side, if it passed one, so a
 * replacement stays one hunk. (xdiff's compaction, without its indent heuristic.)
 */
function compact(lines: Int32Array, changed: Uint8Array, other: Int32Array): void {
  const n = lines.length;
  let unchangedBefore = 0;
  let index = 0;
  while (index < n) {
    if (!changed[index]) {
      unchangedBefore++;
      index++;
      continue;
    }
    let start = index;
    let end = index;
    while (end < n && changed[end]) end++;
    let size: number;
    let earliestEnd: number;
    let facingEnd: number;
    do {
      size = end - start;
      while (start > 0 && lines[start - 1] === lines[end - 1]) {
        changed[--start] = 1;
        changed[--end] = 0;
        unchangedBefore--;
        while (start > 0 && changed[start - 1]) start--;
      }
      earliestEnd = end;
      facingEnd = other[unchangedBefore]! > 0 ? end : -1;
      while (end < n && lines[end] === lines[start]) {
        changed[start++] = 0;
        changed[end++] = 1;
        unchangedBefore++;
        while (end < n && changed[end]) end++;
        if (other[unchangedBefore]! > 0) facingEnd = end;
      }
    } while (size !== end - start);
    if (end !== earliestEnd && facingEnd >= 0) {
      while (other[unchangedBefore] === 0) {
        changed[--start] = 1;
        changed[--end] = 0;
        unchangedBefore--;
      }
    }
    index = end;
  }
}
