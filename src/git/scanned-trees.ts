import { fsckTreeInto, type TreeLinks } from './fsck-tree.js';
import type { FsckFinding, FsckPolicy } from './fsck-report.js';
import type { ObjectFormat } from './object-format.js';
import { MegaError } from '../platform/errors.js';

/**
 * Trees checked by fsck's tree scan (`fsckTreeInto`) on one thread, for `PackFsck` on another:
 * the ingest's decode thread scans each tree it resolves (it waits for the writes in the push's
 * tree phase), the request's thread keeps what needs the pack's shared id index (links, the
 * graph's edges). Per tree, in the order scanned, `values` holds a header (`FLAGS`, entry count,
 * dotfile count) and two numbers per entry: the raw id's offset in the tree's bytes and the mode
 * (every entry `fsckTreeInto` hands its `TreeLinks`). The rare parts go beside them: the
 * `.gitmodules`/`.gitattributes` entries as pairs of id offset and kind, and the findings of the
 * trees that had any (such a tree usually refuses the pack).
 */
export interface ScannedTrees {
  readonly values: Int32Array;
  readonly dotfiles: readonly number[];
  readonly findings: readonly (readonly FsckFinding[])[];
}

const HEADER = 3;
/** Header flags: the tree parsed to its end; findings follow in `findings`. */
const WHOLE = 1;
const HAS_FINDINGS = 2;
const DOTFILE_KINDS = ['gitmodules', 'gitattributes'] as const;
const INITIAL_VALUES = 1 << 14;

/** One tree's scan read back (`ScannedTreeCursor.next`); reused for every tree. */
export interface ScannedTree {
  /** False when the tree could not be parsed to its end (`fsckTreeInto`'s result). */
  whole: boolean;
  /** `values[entriesStart…entriesEnd]`: id offset and mode, pair by pair. */
  entriesStart: number;
  entriesEnd: number;
  /** `dotfiles[dotfilesStart…dotfilesEnd]`: id offset and kind (`dotfileKind`), pair by pair. */
  dotfilesStart: number;
  dotfilesEnd: number;
  findings: readonly FsckFinding[];
}

/**
 * Scans trees with fsck's rules (exactly `PackFsck.add`'s scan: same function, same policy) and
 * notes what `PackFsck.addScannedTree` needs to finish each tree's check without its own scan.
 */
export class TreeScanner {
  private values = new Int32Array(INITIAL_VALUES);
  private used = 0;
  private dotfiles: number[] = [];
  private findings: FsckFinding[][] = [];
  private readonly out: FsckFinding[] = [];
  private readonly links: TreeLinks = {
    child: (_data, offset, mode) => this.entry(offset, mode),
    gitmodules: (_data, offset) => this.dotfiles.push(offset, 0),
    gitattributes: (_data, offset) => this.dotfiles.push(offset, 1),
  };

  constructor(
    private readonly format: ObjectFormat,
    private readonly policy: FsckPolicy,
  ) {}

  /** Scans one tree's content and notes the result. */
  scan(data: Buffer): void {
    const header = this.used;
    this.reserve(HEADER);
    this.used += HEADER;
    const dotfilesBefore = this.dotfiles.length;
    const out = this.out;
    out.length = 0;
    const whole = fsckTreeInto(data, this.format, this.policy, out, this.links);
    const values = this.values;
    values[header] = (whole ? WHOLE : 0) | (out.length > 0 ? HAS_FINDINGS : 0);
    values[header + 1] = (this.used - header - HEADER) / 2;
    values[header + 2] = (this.dotfiles.length - dotfilesBefore) / 2;
    if (out.length > 0) this.findings.push([...out]);
  }

  /** Whether no tree was scanned since the last `take`. */
  get empty(): boolean {
    return this.used === 0;
  }

  /** The trees scanned since the last `take` (`values` has a buffer of its own, to transfer). */
  take(): ScannedTrees {
    const taken = {
      values: this.values.slice(0, this.used),
      dotfiles: this.dotfiles,
      findings: this.findings,
    };
    this.used = 0;
    this.dotfiles = [];
    this.findings = [];
    return taken;
  }

  private entry(offset: number, mode: number): void {
    this.reserve(2);
    this.values[this.used++] = offset;
    this.values[this.used++] = mode;
  }

  private reserve(count: number): void {
    if (this.used + count <= this.values.length) return;
    const grown = new Int32Array(Math.max(this.values.length * 2, this.used + count));
    grown.set(this.values.subarray(0, this.used));
    this.values = grown;
  }
}

/** The kind of the dotfile pair at `dotfiles[at]`. */
export function dotfileKind(scanned: ScannedTrees, at: number): 'gitmodules' | 'gitattributes' {
  return DOTFILE_KINDS[scanned.dotfiles[at + 1] as number] ?? 'gitmodules';
}

/** Reads a batch's scanned trees back, one tree per `next`, in the order they were scanned. */
export class ScannedTreeCursor {
  private at = 0;
  private dotfileAt = 0;
  private findingAt = 0;
  private readonly tree: ScannedTree = {
    whole: true,
    entriesStart: 0,
    entriesEnd: 0,
    dotfilesStart: 0,
    dotfilesEnd: 0,
    findings: [],
  };

  constructor(readonly scanned: ScannedTrees) {}

  /**
   * The next tree's scan. Throws when there is none or it does not fit: a tree would otherwise
   * go unchecked, so a mismatch between the threads fails the push instead.
   */
  next(): ScannedTree {
    const { values, dotfiles, findings } = this.scanned;
    const at = this.at;
    const flags = values[at];
    const entries = values[at + 1];
    const dotfileCount = values[at + 2];
    if (flags === undefined || entries === undefined || dotfileCount === undefined) throw scanMismatch();
    const tree = this.tree;
    tree.whole = (flags & WHOLE) !== 0;
    tree.entriesStart = at + HEADER;
    tree.entriesEnd = tree.entriesStart + 2 * entries;
    tree.dotfilesStart = this.dotfileAt;
    tree.dotfilesEnd = this.dotfileAt + 2 * dotfileCount;
    if (tree.entriesEnd > values.length || tree.dotfilesEnd > dotfiles.length) throw scanMismatch();
    if ((flags & HAS_FINDINGS) !== 0) {
      const found = findings[this.findingAt++];
      if (found === undefined) throw scanMismatch();
      tree.findings = found;
    } else {
      tree.findings = [];
    }
    this.at = tree.entriesEnd;
    this.dotfileAt = tree.dotfilesEnd;
    return tree;
  }

  /** Whether every scanned tree was read. */
  get done(): boolean {
    return this.at === this.scanned.values.length;
  }
}

/** The scans another thread sent do not fit the trees: fail rather than leave a tree unchecked. */
export function scanMismatch(): MegaError {
  return new MegaError('internal', 'ingest_decode_thread_failed', 'tree scans do not match the trees sent');
}
