import { fsckCommitInto, fsckTagInto } from './fsck-commit.js';
import { fsckGitattributesInto, fsckGitmodulesInto, GITATTRIBUTES_MAX_BYTES } from './fsck-gitmodules.js';
import { report, type FsckFinding, type FsckPolicy } from './fsck-report.js';
import { DenseIdIndex } from './dense-id-index.js';
import { fsckTreeInto, type TreeLinks } from './fsck-tree.js';
import type { ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { dotfileKind, scanMismatch, type ScannedTree, type ScannedTreeCursor } from './scanned-trees.js';
import { MODE_FILE, MODE_GITLINK, MODE_SYMLINK, MODE_TREE, MODE_TYPE_MASK } from './tree-entry-scanner.js';

/** Why a pack is refused: the first bad object, with what git would print about it. */
export interface FsckRefusal {
  readonly object: ObjectId;
  /** git's message ids found (empty for a broken link, which git reports without one). */
  readonly ids: readonly string[];
  /** `object <id>: <msgId>: <text>` lines, as git's receive-pack prints them after `error: `. */
  readonly lines: readonly string[];
}

/** One problem of one object, as `mega fsck` lists it. */
export interface FsckProblem {
  readonly object: ObjectId;
  readonly severity: 'error' | 'warning';
  /** git's message id; absent for a broken link. */
  readonly id?: string;
  /** `object <id>: <msgId>: <text>`. */
  readonly line: string;
}

/** A blob some tree names `.gitmodules` or `.gitattributes` whose content was not seen in the pack. */
export interface DotfileBlob {
  readonly id: ObjectId;
  readonly kind: 'gitmodules' | 'gitattributes';
}

/** Link values: the referring object's index in `referrers`, shifted, with the required type. */
const TYPE_BITS = 3;
const TYPE_MASK = (1 << TYPE_BITS) - 1;
const INITIAL_CAPACITY = 1 << 12;
const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const CODE_TYPES = [undefined, 'commit', 'tree', 'blob', 'tag'] as const;
/** The required types disagree (an id used both as a tree and as a blob). */
const CONFLICT_CODE = 7;
const OBJECT_TYPES = new Set<string>(['blob', 'tree', 'commit', 'tag']);

/**
 * A tree's children as the object graph keeps them, filled by `PackFsck` while it checks the
 * tree: each non-gitlink entry's number in the shared `DenseIdIndex`, shifted left once, with the
 * low bit set for a tree's mode (`40000`). Reused for every tree.
 */
export class TreeEdgeList {
  values = new Int32Array(1024);
  count = 0;
  /** False when the tree could not be parsed to its end (the graph gives up then). */
  whole = true;

  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
  }
}

/** What a `PackFsck` shares with the push's object graph, so each id is looked up once. */
export interface PackFsckSharing {
  /** The numbering of ids both use (the graph's). */
  readonly ids: DenseIdIndex;
  /** Filled with each checked tree's edges, for the graph. */
  readonly treeEdges?: TreeEdgeList;
}

/**
 * Checks a whole received pack as `git index-pack --strict` does (builtin/index-pack.c with
 * fsck.c): every object's own rules as it is resolved, then the links: each id a tree, commit or
 * tag points to must have the type the pointer requires (a `40000` entry a tree, a file entry a
 * blob, a parent a commit, a tag's target its `type`), and each `.gitmodules`/`.gitattributes`
 * blob must pass its checks. Objects outside the pack are the caller's to look up
 * (`externalLinks`, `pendingDotfiles`). Also yields the ids the pack points to outside itself,
 * for the push's connectivity check.
 */
export class PackFsck {
  /** Every id seen, by number; the arrays below are indexed by it. */
  private readonly ids: DenseIdIndex;
  private capacity = INITIAL_CAPACITY;
  /** The id's type in the pack (0 = not in it). */
  private types = new Uint8Array(INITIAL_CAPACITY);
  /** Who links to the id and as what (0 = nobody): a `referrers` index and a type code. */
  private links = new Int32Array(INITIAL_CAPACITY);
  /** Objects that point to others, by number (the first referrer of an id is named in errors). */
  private referrers = new Int32Array(INITIAL_CAPACITY);
  private referrerCount = 0;
  private readonly treeEdges: TreeEdgeList | undefined;
  private readonly dotfiles = new Map<ObjectId, 'gitmodules' | 'gitattributes'>();
  private readonly checkedDotfiles = new Set<string>();
  private readonly streamedSizes = new Map<string, number>();
  private readonly scratch: FsckFinding[] = [];
  private refusal: FsckRefusal | undefined;
  private readonly treeLinks: TreeLinks;
  /** The raw form of the hex id being looked up (one buffer for all: no allocation per object). */
  private readonly rawScratch: Buffer;

  /**
   * `onProblem` (optional) hears every finding, warnings included, and every broken link, not
   * only the first refusal: what `mega fsck` lists. `sharing` (optional): the push's object graph
   * numbers ids with the same index and takes each tree's edges from this scan.
   */
  constructor(
    private readonly format: ObjectFormat,
    private readonly policy: FsckPolicy,
    private readonly onProblem?: (problem: FsckProblem) => void,
    sharing?: PackFsckSharing,
  ) {
    const rawLength = format.rawLength;
    this.ids = sharing?.ids ?? new DenseIdIndex(rawLength);
    this.treeEdges = sharing?.treeEdges;
    this.rawScratch = Buffer.alloc(rawLength);
    this.treeLinks = {
      child: (data, offset, mode) => this.treeChild(data, offset, mode),
      gitmodules: (data, offset) => this.noteDotfile(objectIdFromRaw(data, offset, format), 'gitmodules'),
      gitattributes: (data, offset) =>
        this.noteDotfile(objectIdFromRaw(data, offset, format), 'gitattributes'),
    };
  }

  /** The first refusal found so far. */
  get refused(): FsckRefusal | undefined {
    return this.refusal;
  }

  /**
   * Checks one resolved object of the pack (content inflated, without its header). `rawId`, when
   * given, holds the id's raw bytes at `rawAt` (saves parsing the hex); `id` may then be undefined,
   * and the hex is made only to report the object or check it as a dotfile. `scannedTrees` (a decode
   * thread's batch): a tree's scan was done there, its next one is this tree's. Returns the
   * object's number in the index of ids (the one shared with the graph, if any).
   */
  add(
    id: ObjectId | undefined,
    type: ObjectType,
    data: Buffer,
    rawId?: Uint8Array,
    rawAt = 0,
    scannedTrees?: ScannedTreeCursor,
  ): number {
    const number = rawId
      ? this.number(rawId, rawAt)
      : this.number(this.raw(hexId(id, rawId, rawAt, this.format)), 0);
    this.types[number] = TYPE_CODES[type];
    if (type !== 'blob') this.pushReferrer(number);
    const out = this.scratch;
    out.length = 0;
    switch (type) {
      case 'tree': {
        if (this.treeEdges) this.treeEdges.count = 0;
        const whole = scannedTrees
          ? this.replayTree(data, scannedTrees, out)
          : fsckTreeInto(data, this.format, this.policy, out, this.treeLinks);
        if (this.treeEdges) this.treeEdges.whole = whole;
        break;
      }
      case 'commit':
        fsckCommitInto(data, this.format, this.policy, out);
        if (!hasError(out)) this.commitLinks(data);
        break;
      case 'tag':
        fsckTagInto(data, this.format, this.policy, out);
        if (!hasError(out)) this.tagLink(data);
        break;
      case 'blob':
        if (this.dotfiles.size > 0) this.checkDotfileInto(hexId(id, rawId, rawAt, this.format), data, out);
        break;
    }
    if (out.length > 0) this.record(hexId(id, rawId, rawAt, this.format), out);
    return number;
  }

  /**
   * `add` for a blob whose content is not at hand (a decode thread's whole blob, see
   * `DecodedItem`): its type counts now; if a tree names it as a `.gitmodules` or
   * `.gitattributes`, `finishPack` lists it for the caller to check from storage, as it does for
   * such a blob met before its tree. Returns its number, as `add` does.
   */
  addBlobWithoutContent(id: ObjectId | undefined, rawId?: Uint8Array, rawAt = 0): number {
    const number = rawId
      ? this.number(rawId, rawAt)
      : this.number(this.raw(hexId(id, rawId, rawAt, this.format)), 0);
    this.types[number] = TYPE_CODES.blob;
    return number;
  }

  /** A blob whose content is not at hand (only its type counts unless a tree names it as a dotfile). */
  noteBlob(id: ObjectId): void {
    this.setType(id, 'blob');
  }

  /** A blob too large to hand over whole (stored straight from the spool). */
  addStreamedBlob(id: ObjectId, size: number): void {
    this.setType(id, 'blob');
    this.streamedSizes.set(id, size);
  }

  /**
   * After the last object: checks the links among the pack's objects and the dotfile blobs it
   * holds whole. Returns the links that point outside the pack (id → the type they require)
   * and the dotfile blobs whose content the caller must supply (`checkDotfile`).
   */
  finishPack(): { externalLinks: Map<ObjectId, ObjectType>; pendingDotfiles: DotfileBlob[] } {
    const externalLinks = new Map<ObjectId, ObjectType>();
    // Ids numbered by the graph alone (delta bases) past the arrays are linked by nobody.
    const end = Math.min(this.ids.size, this.capacity);
    for (let number = 0; number < end; number++) {
      const value = this.links[number] as number;
      if (value === 0) continue;
      const code = value & TYPE_MASK;
      const actual = CODE_TYPES[this.types[number] as number];
      const expected = CODE_TYPES[code];
      if (actual === expected && code !== CONFLICT_CODE) continue;
      const id = this.ids.idAt(number, this.format);
      const from = this.referrer(value);
      if (expected === undefined) {
        this.refuseLink(from, `object ${from}: ${id} is pointed to both as a tree and as a blob`);
      } else if (actual === undefined) {
        externalLinks.set(id, expected);
      } else if (actual !== expected) {
        this.refuseLink(from, `object ${from}: ${id} is a ${actual}, not a ${expected}`);
      }
    }
    const pendingDotfiles: DotfileBlob[] = [];
    for (const [id, kind] of this.dotfiles) {
      if (this.checkedDotfiles.has(id)) continue;
      const type = this.typeOf(id);
      if (type !== undefined && type !== 'blob') {
        this.dotfileNotBlob(id, kind, type);
        continue;
      }
      const streamedSize = this.streamedSizes.get(id);
      if (streamedSize !== undefined && this.checkLarge(id, kind, streamedSize)) continue;
      pendingDotfiles.push({ id, kind });
    }
    return { externalLinks, pendingDotfiles };
  }

  /** Checks a dotfile blob read by the caller (from the pack's storage or the repository). */
  checkDotfile(id: ObjectId, data: Buffer): void {
    const findings: FsckFinding[] = [];
    this.checkDotfileInto(id, data, findings);
    if (findings.length > 0) this.record(id, findings);
  }

  /** A `.gitattributes` blob read in pieces by the caller had a line longer than git reads. */
  gitattributesLineTooLong(id: ObjectId): void {
    if (this.checkedDotfiles.has(id)) return;
    this.checkedDotfiles.add(id);
    const findings: FsckFinding[] = [];
    report(findings, this.policy, 'gitattributesLineLength', '.gitattributes has too long lines to parse');
    if (findings.length > 0) this.record(id, findings);
  }

  /** The object found outside the pack has another type than a link requires. */
  externalTypeMismatch(id: ObjectId, expected: ObjectType, actual: ObjectType): void {
    const number = this.find(id);
    const value = number < 0 ? 0 : (this.links[number] as number);
    const from = value === 0 ? id : this.referrer(value);
    this.refuseLink(from, `object ${from}: ${id} is a ${actual}, not a ${expected}`);
  }

  /** A dotfile id that is no blob in the repository. */
  dotfileNotBlob(id: ObjectId, kind: 'gitmodules' | 'gitattributes', type: ObjectType): void {
    const findings: FsckFinding[] = [];
    const messageId = kind === 'gitmodules' ? 'gitmodulesBlob' : 'gitattributesBlob';
    report(findings, this.policy, messageId, `non-blob found at .${kind}`);
    if (type !== 'blob' && findings.length > 0) this.record(id, findings);
  }

  /** Whether `id` is a dotfile blob (its content is needed). */
  isDotfile(id: ObjectId): boolean {
    return this.dotfiles.has(id);
  }

  private checkDotfileInto(id: ObjectId, data: Buffer, out: FsckFinding[]): void {
    const kind = this.dotfiles.get(id);
    if (kind === undefined || this.checkedDotfiles.has(id)) return;
    this.checkedDotfiles.add(id);
    if (kind === 'gitmodules') fsckGitmodulesInto(data, this.policy, out);
    else fsckGitattributesInto(data, this.policy, out);
  }

  private checkLarge(id: ObjectId, kind: 'gitmodules' | 'gitattributes', size: number): boolean {
    // A `.gitmodules` blob big enough to be streamed is not parsed (git: gitmodulesLarge when it
    // will not load it); a `.gitattributes` one up to git's own limit still needs its lines read.
    if (kind === 'gitattributes' && size <= GITATTRIBUTES_MAX_BYTES) return false;
    const findings: FsckFinding[] = [];
    const messageId = kind === 'gitmodules' ? 'gitmodulesLarge' : 'gitattributesLarge';
    report(findings, this.policy, messageId, `.${kind} too large to parse`);
    this.checkedDotfiles.add(id);
    if (findings.length > 0) this.record(id, findings);
    return true;
  }

  /**
   * One entry of the tree being checked: its id is looked up once, for the link its mode
   * requires (fsck_walk_tree: gitlinks are not followed, nor modes of no known type) and for the
   * graph's edge (every entry but a gitlink, as a walk sends it).
   */
  private treeChild(data: Uint8Array, offset: number, mode: number): void {
    const kind = mode & MODE_TYPE_MASK;
    if (kind === MODE_GITLINK) return;
    const number = this.number(data, offset);
    if (kind === MODE_TREE) this.link(number, TYPE_CODES.tree);
    else if (kind === MODE_FILE || kind === MODE_SYMLINK) this.link(number, TYPE_CODES.blob);
    this.treeEdges?.push((number << 1) | (kind === MODE_TREE ? 1 : 0));
  }

  /**
   * A tree scanned on another thread (`TreeScanner`, the same `fsckTreeInto` and policy): its
   * entries and dotfiles go to `treeLinks` as the scan here would have sent them, its findings to
   * `out`. Returns whether the tree parsed to its end.
   */
  private replayTree(data: Buffer, cursor: ScannedTreeCursor, out: FsckFinding[]): boolean {
    const tree: ScannedTree = cursor.next();
    const { values, dotfiles } = cursor.scanned;
    const lastId = data.length - this.format.rawLength;
    for (let at = tree.entriesStart; at < tree.entriesEnd; at += 2) {
      const offset = values[at] as number;
      if (offset < 0 || offset > lastId) throw scanMismatch();
      this.treeChild(data, offset, (values[at + 1] as number) >>> 0);
    }
    for (let at = tree.dotfilesStart; at < tree.dotfilesEnd; at += 2) {
      const offset = dotfiles[at] as number;
      if (offset < 0 || offset > lastId) throw scanMismatch();
      const id = objectIdFromRaw(data, offset, this.format);
      this.noteDotfile(id, dotfileKind(cursor.scanned, at));
    }
    for (const finding of tree.findings) out.push(finding);
    return tree.whole;
  }

  /** The id numbered `number` is linked to by the newest referrer, as the type `code`. */
  private link(number: number, code: number): void {
    const known = this.links[number] as number;
    if (known === 0) {
      this.links[number] = ((this.referrerCount - 1) << TYPE_BITS) | code;
    } else if ((known & TYPE_MASK) !== code) {
      this.links[number] = (known & ~TYPE_MASK) | CONFLICT_CODE;
    }
  }

  /** The hex id of the referrer a link value names. */
  private referrer(value: number): ObjectId {
    return this.ids.idAt(this.referrers[value >>> TYPE_BITS] as number, this.format);
  }

  private pushReferrer(number: number): void {
    if (this.referrerCount === this.referrers.length) {
      const grown = new Int32Array(this.referrers.length * 2);
      grown.set(this.referrers);
      this.referrers = grown;
    }
    this.referrers[this.referrerCount++] = number;
  }

  /** The number of the raw id at `data[offset…]`, given one when new; the arrays cover it. */
  private number(data: Uint8Array, offset: number): number {
    const number = this.ids.add(data, offset);
    if (number >= this.capacity) this.grow(this.ids.size);
    return number;
  }

  /** The number of a hex id, or -1 when no array entry holds it. */
  private find(id: string): number {
    const number = this.ids.find(this.raw(id), 0);
    return number < this.capacity ? number : -1;
  }

  private grow(size: number): void {
    let capacity = this.capacity;
    while (capacity <= size) capacity *= 2;
    const types = new Uint8Array(capacity);
    types.set(this.types);
    const links = new Int32Array(capacity);
    links.set(this.links);
    this.types = types;
    this.links = links;
    this.capacity = capacity;
  }

  private setType(id: string, type: ObjectType): void {
    this.types[this.number(this.raw(id), 0)] = TYPE_CODES[type];
  }

  /** `id` (lowercase hex of the format's length) as raw bytes, valid until the next call. */
  private raw(id: string): Buffer {
    this.rawScratch.write(id, 'hex');
    return this.rawScratch;
  }

  private typeOf(id: string): ObjectType | undefined {
    const number = this.find(id);
    return number < 0 ? undefined : CODE_TYPES[this.types[number] as number];
  }

  private noteDotfile(id: ObjectId, kind: 'gitmodules' | 'gitattributes'): void {
    if (!this.dotfiles.has(id)) this.dotfiles.set(id, kind);
  }

  /**
   * Reads `hexLength` hex digits (either case) then a newline at `pos` into `rawScratch` as the
   * raw id; false (the scratch's bytes then undefined) when they are not there. No string per id: an
   * ingest links every commit's tree and parents.
   */
  private rawIdAt(data: Buffer, pos: number): boolean {
    const end = pos + this.format.hexLength;
    if (data[end] !== 0x0a) return false;
    const raw = this.rawScratch;
    for (let at = pos, out = 0; at < end; at += 2, out++) {
      const high = hexValue(data[at] as number);
      const low = hexValue(data[at + 1] as number);
      if (high < 0 || low < 0) return false;
      raw[out] = (high << 4) | low;
    }
    return true;
  }

  private commitLinks(data: Buffer): void {
    // fsck passed, so the layout is `tree <id>\n` then `parent <id>\n` lines (unless a bad id
    // was configured to be ignored: such a line links nothing).
    const step = this.format.hexLength + 1;
    if (this.rawIdAt(data, 5)) this.link(this.number(this.rawScratch, 0), TYPE_CODES.tree);
    for (let pos = 5 + step; startsWithParent(data, pos); pos += 7 + step) {
      if (!this.rawIdAt(data, pos + 7)) break;
      this.link(this.number(this.rawScratch, 0), TYPE_CODES.commit);
    }
  }

  private tagLink(data: Buffer): void {
    const found = this.rawIdAt(data, 7);
    const typeStart = 7 + this.format.hexLength + 1 + 'type '.length;
    const type = data.toString('latin1', typeStart, data.indexOf(0x0a, typeStart));
    if (found && OBJECT_TYPES.has(type))
      this.link(this.number(this.rawScratch, 0), TYPE_CODES[type as ObjectType]);
  }

  private record(id: ObjectId, findings: readonly FsckFinding[]): void {
    if (this.onProblem) {
      for (const finding of findings) {
        const line = `object ${id}: ${finding.message}`;
        this.onProblem({ object: id, severity: finding.severity, id: finding.id, line });
      }
    }
    if (this.refusal || !hasError(findings)) return;
    this.refusal = {
      object: id,
      ids: [...new Set(findings.map((finding) => finding.id))],
      lines: findings.map((finding) => `object ${id}: ${finding.message}`),
    };
  }

  private refuseLink(id: ObjectId, line: string): void {
    this.onProblem?.({ object: id, severity: 'error', line });
    if (!this.refusal) this.refusal = { object: id, ids: [], lines: [line] };
  }
}

function hasError(findings: readonly FsckFinding[]): boolean {
  for (const finding of findings) if (finding.severity === 'error') return true;
  return false;
}

/** The value of an ASCII hex digit of either case, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Whether `data` holds `parent ` at `pos`. */
function startsWithParent(data: Buffer, pos: number): boolean {
  return (
    data[pos] === 0x70 &&
    data[pos + 1] === 0x61 &&
    data[pos + 2] === 0x72 &&
    data[pos + 3] === 0x65 &&
    data[pos + 4] === 0x6e &&
    data[pos + 5] === 0x74 &&
    data[pos + 6] === 0x20
  );
}

/** The object's hex id: `id`, or made from its raw bytes (`rawId[rawAt…]`) when not given. */
function hexId(
  id: ObjectId | undefined,
  rawId: Uint8Array | undefined,
  rawAt: number,
  format: ObjectFormat,
): ObjectId {
  if (id !== undefined) return id;
  if (!rawId) throw new TypeError('an object without its id');
  return objectIdFromRaw(rawId, rawAt, format);
}
