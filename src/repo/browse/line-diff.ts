/**
 * Line diff with Myers' O((N+M)D) greedy algorithm ("An O(ND) Difference Algorithm and Its
 * Variations", 1986) and unified hunks like `git diff -U3`. Lines are interned to integers first
 * so the inner loop compares numbers; the common prefix and suffix are trimmed before the search.
 * Past `MAX_EDIT_DISTANCE` the middle is reported as one replacement, which bounds time and memory
 * for hostile or unrelated inputs.
 */

/** Edit distance beyond which the diff gives up on a minimal script (memory is O(D²)). */
export const MAX_EDIT_DISTANCE = 2000;
/** Bound on (N+M)·D, the work of the search, so a 1 MB file against an unrelated one stays fast. */
export const MAX_DIFF_WORK = 50_000_000;
/** Unchanged lines shown around each change (git's default `-U3`). */
export const DEFAULT_CONTEXT_LINES = 3;

export type DiffLineKind = 'context' | 'add' | 'delete';

export interface DiffLine {
  readonly kind: DiffLineKind;
  readonly text: string;
  /** 1-based line number in the old file (absent for added lines). */
  readonly oldNumber?: number;
  /** 1-based line number in the new file (absent for deleted lines). */
  readonly newNumber?: number;
}

export interface Hunk {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly lines: readonly DiffLine[];
}

/** One step of an edit script (`diffOps`): keep a line, delete an old one, insert a new one. */
export type Op = 0 | 1 | 2;
export const KEEP: Op = 0;
export const DELETE: Op = 1;
export const INSERT: Op = 2;

/** Splits text into lines without their terminators; a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function intern(a: readonly string[], b: readonly string[]): { x: Int32Array; y: Int32Array } {
  const ids = new Map<string, number>();
  const idOf = (line: string): number => {
    let id = ids.get(line);
    if (id === undefined) {
      id = ids.size;
      ids.set(line, id);
    }
    return id;
  };
  return { x: Int32Array.from(a, idOf), y: Int32Array.from(b, idOf) };
}

/** The edit script turning x[lo..xHi) into y[lo..yHi): a list of ops in order. */
function myersMiddle(x: Int32Array, y: Int32Array, xLo: number, xHi: number, yLo: number, yHi: number): Op[] {
  const n = xHi - xLo;
  const m = yHi - yLo;
  const max = n + m;
  const limit = Math.min(max, MAX_EDIT_DISTANCE, Math.floor(MAX_DIFF_WORK / Math.max(1, max)));
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let px: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) px = v[offset + k + 1]!;
      else px = v[offset + k - 1]! + 1;
      let py = px - k;
      while (px < n && py < m && x[xLo + px] === y[yLo + py]) {
        px++;
        py++;
      }
      v[offset + k] = px;
      if (px >= n && py >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return [...new Array<Op>(n).fill(DELETE), ...new Array<Op>(m).fill(INSERT)];
  return backtrack(trace, found, n, m);
}

/** Walks the saved frontiers backwards from (n, m) to (0, 0), collecting ops in reverse. */
function backtrack(trace: readonly Int32Array[], distance: number, n: number, m: number): Op[] {
  const ops: Op[] = [];
  let px = n;
  let py = m;
  for (let d = distance; d > 0; d--) {
    const frontier = trace[d]!;
    // trace[d] holds v[-d-1 .. d+1] as it was before round d, i.e. the frontier of round d-1.
    const at = (k: number): number => frontier[k + d + 1]!;
    const k = px - py;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (px > prevX + (down ? 0 : 1) && py > prevY + (down ? 1 : 0)) {
      ops.push(KEEP);
      px--;
      py--;
    }
    ops.push(down ? INSERT : DELETE);
    px = prevX;
    py = prevY;
  }
  while (px > 0 && py > 0) {
    ops.push(KEEP);
    px--;
    py--;
  }
  return ops.reverse();
}

/** The full edit script between two line arrays. */
export function diffOps(a: readonly string[], b: readonly string[]): Op[] {
  const { x, y } = intern(a, b);
  let prefix = 0;
  while (prefix < x.length && prefix < y.length && x[prefix] === y[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < x.length - prefix &&
    suffix < y.length - prefix &&
    x[x.length - 1 - suffix] === y[y.length - 1 - suffix]
  ) {
    suffix++;
  }
  const middle = myersMiddle(x, y, prefix, x.length - suffix, prefix, y.length - suffix);
  return [...new Array<Op>(prefix).fill(KEEP), ...middle, ...new Array<Op>(suffix).fill(KEEP)];
}

/** Unified hunks between two texts, `context` unchanged lines around each change. */
export function diffLines(
  a: readonly string[],
  b: readonly string[],
  context: number = DEFAULT_CONTEXT_LINES,
): Hunk[] {
  const ops = diffOps(a, b);
  const all: DiffLine[] = [];
  // Lines of each side consumed before all[index]: a hunk's start comes from these.
  const oldBefore: number[] = [];
  const newBefore: number[] = [];
  let i = 0;
  let j = 0;
  for (const op of ops) {
    oldBefore.push(i);
    newBefore.push(j);
    if (op === KEEP) all.push({ kind: 'context', text: a[i]!, oldNumber: ++i, newNumber: ++j });
    else if (op === DELETE) all.push({ kind: 'delete', text: a[i]!, oldNumber: ++i });
    else all.push({ kind: 'add', text: b[j]!, newNumber: ++j });
  }
  const hunks: Hunk[] = [];
  for (const [start, stop] of hunkRanges(all, context)) {
    const lines = all.slice(start, stop);
    const oldLines = lines.filter((line) => line.kind !== 'add').length;
    const newLines = lines.filter((line) => line.kind !== 'delete').length;
    // As in git, an empty side's start is the line after which the change happens (0 = before all).
    hunks.push({
      oldStart: oldBefore[start]! + (oldLines === 0 ? 0 : 1),
      oldLines,
      newStart: newBefore[start]! + (newLines === 0 ? 0 : 1),
      newLines,
      lines,
    });
  }
  return hunks;
}

/** [start, stop) index ranges of hunks: changes merged when fewer than 2×context lines apart. */
function hunkRanges(all: readonly DiffLine[], context: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let index = 0;
  while (index < all.length) {
    while (index < all.length && all[index]!.kind === 'context') index++;
    if (index >= all.length) break;
    const start = Math.max(0, index - context);
    let end = index;
    let lastChange = index;
    while (end < all.length) {
      if (all[end]!.kind !== 'context') lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end++;
    }
    const stop = Math.min(all.length, lastChange + context + 1);
    ranges.push([start, stop]);
    index = stop;
  }
  return ranges;
}
