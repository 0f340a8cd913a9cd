import { LineTable, lineHunks, splitKeepingEol } from './line-changes.js';
import { appendAll } from '../../platform/append-all.js';

/**
 * A three-way merge of one file at line level, with the results of `git merge-file` under its
 * default options (conflict style "merge", markers of 7 characters, labels given by the caller):
 *
 * - base→ours and base→theirs are diffed; a change on one side only is taken; changes of both
 *   sides that overlap or touch (even adjacent lines, or two insertions at one place) form one
 *   region, which merges cleanly when both sides made it identical and is a conflict otherwise;
 * - a conflict region is refined as git's "zealous" level does: ours and theirs are diffed and
 *   the lines they agree on at its edges and inside it leave the conflict; conflicts separated by
 *   at most 3 lines (or, like merge-file, by lines without letters or digits) become one;
 * - content with a NUL byte in its first 8000 bytes is binary: it merges only when one side is
 *   unchanged or both are equal, otherwise it is one conflict and the result keeps ours;
 * - when base, ours and theirs together exceed `MAX_LINE_MERGE_BYTES` and both sides changed,
 *   the file is one conflict (result: ours) rather than a diff of unbounded cost.
 *
 * Markers end with CRLF when the conflicting lines do, and a conflicting side whose last line has
 * no newline gets one before the next marker (as git does).
 */

/** Bytes git looks at for a NUL to call content binary. */
export const BINARY_SNIFF_BYTES = 8000;
/** Base + ours + theirs beyond this, with both sides changed, is a conflict without a line diff. */
export const MAX_LINE_MERGE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MARKER_SIZE = 7;
/** Conflicts at most this many lines apart are shown as one (git's zealous merge). */
const CONFLICT_JOIN_GAP = 3;

export interface MergeFileOptions {
  /** Text after `<<<<<<<` and `>>>>>>>` (none = the bare markers). */
  readonly oursLabel?: string;
  readonly theirsLabel?: string;
  readonly markerSize?: number;
  /**
   * Also join conflicts separated only by lines without letters or digits (`git merge-file`
   * does; merges of trees do not). Default true.
   */
  readonly joinNonAlnum?: boolean;
}

export interface MergeFileResult {
  /** Number of conflict regions (what `git merge-file` exits with). */
  readonly conflicts: number;
  /** The merged content, with conflict markers where it conflicts (binary/oversized: ours). */
  readonly content: Buffer;
  /** Why there was no line merge: `binary` or `too_large` (both sides changed). */
  readonly unmerged?: 'binary' | 'too_large';
}

export function isBinaryContent(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

export function mergeFile(
  base: Buffer,
  ours: Buffer,
  theirs: Buffer,
  options: MergeFileOptions = {},
): MergeFileResult {
  if (ours.equals(theirs) || base.equals(theirs)) return { conflicts: 0, content: ours };
  if (base.equals(ours)) return { conflicts: 0, content: theirs };
  if (isBinaryContent(base) || isBinaryContent(ours) || isBinaryContent(theirs)) {
    return { conflicts: 1, content: ours, unmerged: 'binary' };
  }
  if (base.length + ours.length + theirs.length > MAX_LINE_MERGE_BYTES) {
    return { conflicts: 1, content: ours, unmerged: 'too_large' };
  }
  return new LineMerge(base, ours, theirs, options).run();
}

/** A region of the result, in ours' line numbers: kept from ours, taken from theirs, or conflicting. */
interface Region {
  readonly kind: 'theirs' | 'conflict';
  readonly oursStart: number;
  readonly oursEnd: number;
  readonly theirsStart: number;
  readonly theirsEnd: number;
}

class LineMerge {
  private readonly baseLines: Buffer[];
  private readonly oursLines: Buffer[];
  private readonly theirsLines: Buffer[];
  private readonly base: Int32Array;
  private readonly ours: Int32Array;
  private readonly theirs: Int32Array;

  constructor(
    base: Buffer,
    ours: Buffer,
    theirs: Buffer,
    private readonly options: MergeFileOptions,
  ) {
    const table = new LineTable();
    this.oursLines = splitKeepingEol(ours);
    this.theirsLines = splitKeepingEol(theirs);
    this.baseLines = splitKeepingEol(base);
    this.base = table.intern(this.baseLines);
    this.ours = table.intern(this.oursLines);
    this.theirs = table.intern(this.theirsLines);
  }

  run(): MergeFileResult {
    const regions = this.joinConflicts(this.refine(this.regions()));
    const out: Buffer[] = [];
    let at = 0;
    let conflicts = 0;
    for (const region of regions) {
      appendAll(out, this.oursLines.slice(at, region.oursStart));
      if (region.kind === 'theirs') {
        appendAll(out, this.theirsLines.slice(region.theirsStart, region.theirsEnd));
      } else {
        conflicts++;
        this.writeConflict(out, region);
      }
      at = region.oursEnd;
    }
    appendAll(out, this.oursLines.slice(at));
    return { conflicts, content: Buffer.concat(out) };
  }

  /**
   * Sweeps both sides' hunks in base order. Hunks of the two sides that overlap or touch are one
   * region; a region of ours alone needs nothing (the result is ours), one of theirs alone is
   * taken, and a region both changed is identical (nothing to do) or a conflict.
   */
  private regions(): Region[] {
    const sides = [lineHunks(this.base, this.ours), lineHunks(this.base, this.theirs)] as const;
    const next = [0, 0];
    // Lines each side gained before the current point: maps unchanged base lines to the side.
    const delta = [0, 0];
    const regions: Region[] = [];
    const startOf = (side: 0 | 1): number => sides[side][next[side]!]?.aStart ?? Infinity;
    while (next[0]! < sides[0].length || next[1]! < sides[1].length) {
      const lo = Math.min(startOf(0), startOf(1));
      let hi = lo;
      const before = [delta[0]!, delta[1]!];
      const taken = [0, 0];
      for (;;) {
        const side = startOf(0) <= hi ? 0 : startOf(1) <= hi ? 1 : undefined;
        if (side === undefined) break;
        const hunk = sides[side][next[side]!]!;
        hi = Math.max(hi, hunk.aEnd);
        delta[side]! += hunk.bEnd - hunk.bStart - (hunk.aEnd - hunk.aStart);
        next[side]!++;
        taken[side]!++;
      }
      if (taken[1] === 0) continue; // ours alone: the result already holds it
      const region = {
        oursStart: lo + before[0]!,
        oursEnd: hi + delta[0]!,
        theirsStart: lo + before[1]!,
        theirsEnd: hi + delta[1]!,
      };
      if (taken[0] === 0) regions.push({ kind: 'theirs', ...region });
      else if (!this.sameLines(region)) regions.push({ kind: 'conflict', ...region });
    }
    return regions;
  }

  private sameLines(region: Omit<Region, 'kind'>): boolean {
    const length = region.oursEnd - region.oursStart;
    if (length !== region.theirsEnd - region.theirsStart) return false;
    for (let k = 0; k < length; k++) {
      if (this.ours[region.oursStart + k] !== this.theirs[region.theirsStart + k]) return false;
    }
    return true;
  }

  /** Splits each conflict along a diff of its two sides: lines both sides agree on leave it. */
  private refine(regions: Region[]): Region[] {
    const out: Region[] = [];
    for (const region of regions) {
      if (
        region.kind !== 'conflict' ||
        region.oursStart === region.oursEnd ||
        region.theirsStart === region.theirsEnd
      ) {
        out.push(region);
        continue;
      }
      const hunks = lineHunks(
        this.ours.subarray(region.oursStart, region.oursEnd),
        this.theirs.subarray(region.theirsStart, region.theirsEnd),
      );
      for (const hunk of hunks) {
        out.push({
          kind: 'conflict',
          oursStart: region.oursStart + hunk.aStart,
          oursEnd: region.oursStart + hunk.aEnd,
          theirsStart: region.theirsStart + hunk.bStart,
          theirsEnd: region.theirsStart + hunk.bEnd,
        });
      }
    }
    return out;
  }

  /** Joins neighbouring conflicts separated by few lines (or lines without letters or digits). */
  private joinConflicts(regions: Region[]): Region[] {
    const out: Region[] = [];
    const joinNonAlnum = this.options.joinNonAlnum ?? true;
    for (const region of regions) {
      const previous = out[out.length - 1];
      if (
        previous?.kind === 'conflict' &&
        region.kind === 'conflict' &&
        (region.oursStart - previous.oursEnd <= CONFLICT_JOIN_GAP ||
          (joinNonAlnum && !this.hasAlnum(previous.oursEnd, region.oursStart)))
      ) {
        out[out.length - 1] = { ...previous, oursEnd: region.oursEnd, theirsEnd: region.theirsEnd };
      } else {
        out.push(region);
      }
    }
    return out;
  }

  private hasAlnum(from: number, to: number): boolean {
    for (let k = from; k < to; k++) {
      if (/[A-Za-z0-9]/.test(this.oursLines[k]!.toString('latin1'))) return true;
    }
    return false;
  }

  private writeConflict(out: Buffer[], region: Region): void {
    const size = this.options.markerSize ?? 7;
    const oursSide = this.oursLines.slice(region.oursStart, region.oursEnd);
    const theirsSide = this.theirsLines.slice(region.theirsStart, region.theirsEnd);
    const eol = this.usesCrlf(region) ? '\r\n' : '\n';
    const marker = (char: string, label: string | undefined): Buffer =>
      Buffer.from(`${char.repeat(size)}${label ? ` ${label}` : ''}${eol}`);
    out.push(marker('<', this.options.oursLabel));
    pushSide(out, oursSide, eol);
    out.push(marker('=', undefined));
    pushSide(out, theirsSide, eol);
    out.push(marker('>', this.options.theirsLabel));
  }

  /**
   * Markers end with CRLF when the file does, judged as git judges it: the line before the
   * conflict in ours and in theirs (the first line when it starts the file) must not end with a
   * bare LF, and the base's first line must end with CRLF.
   */
  private usesCrlf(region: Region): boolean {
    const ours = crlfAt(this.oursLines, Math.max(0, region.oursStart - 1));
    const theirs = crlfAt(this.theirsLines, Math.max(0, region.theirsStart - 1));
    return ours !== false && theirs !== false && crlfAt(this.baseLines, 0) === true;
  }
}

/** Whether line `index` ends with CRLF (a last line without newline: the one before); undefined if none. */
function crlfAt(lines: readonly Buffer[], index: number): boolean | undefined {
  let line = lines[index];
  if (line !== undefined && line.at(-1) !== 10) line = index > 0 ? lines[index - 1] : undefined;
  if (line === undefined) return undefined;
  return line.length >= 2 && line[line.length - 2] === 13;
}

function pushSide(out: Buffer[], lines: readonly Buffer[], eol: string): void {
  appendAll(out, lines);
  const last = lines[lines.length - 1];
  if (last !== undefined && last.at(-1) !== 10) out.push(Buffer.from(eol));
}
