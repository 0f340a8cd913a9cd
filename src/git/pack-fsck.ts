import { fsckCommitInto, fsckTagInto } from './fsck-commit.js';
import { fsckGitattributesInto, fsckGitmodulesInto, GITATTRIBUTES_MAX_BYTES } from './fsck-gitmodules.js';
import { report, type FsckFinding, type FsckPolicy } from './fsck-report.js';
import { fsckTreeInto, type LinkType, type TreeLinks } from './fsck-tree.js';
import type { ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { RawIdList } from './raw-id-list.js';
import { RawIdTable } from './raw-id-table.js';

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
const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const CODE_TYPES = [undefined, 'commit', 'tree', 'blob', 'tag'] as const;
/** The required types disagree (an id used both as a tree and as a blob). */
const CONFLICT_CODE = 7;
const HEX = /^[0-9a-f]+$/;
const OBJECT_TYPES = new Set<string>(['blob', 'tree', 'commit', 'tag']);

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
  /** Every id seen: its type in the pack (`type`) and who links to it as what (`link`). */
  private readonly table: RawIdTable;
  /** Objects that point to others, by index (the first referrer of an id is named in errors). */
  private readonly referrers: RawIdList;
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
   * only the first refusal: what `mega fsck` lists.
   */
  constructor(
    private readonly format: ObjectFormat,
    private readonly policy: FsckPolicy,
    private readonly onProblem?: (problem: FsckProblem) => void,
  ) {
    const rawLength = format.rawLength;
    this.table = new RawIdTable(rawLength);
    this.referrers = new RawIdList(format);
    this.rawScratch = Buffer.alloc(rawLength);
    this.treeLinks = {
      child: (data, offset, type: LinkType) => this.link(data, offset, type),
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
   * given, holds the id's raw bytes at `rawAt` (saves parsing the hex).
   */
  add(id: ObjectId, type: ObjectType, data: Buffer, rawId?: Uint8Array, rawAt = 0): void {
    const slot = rawId ? this.table.slot(rawId, rawAt) : this.table.slot(this.raw(id), 0);
    this.table.type[slot] = TYPE_CODES[type];
    if (type !== 'blob') {
      if (rawId) this.referrers.pushRaw(rawId, rawAt);
      else this.referrers.push(id);
    }
    const out = this.scratch;
    out.length = 0;
    switch (type) {
      case 'tree':
        fsckTreeInto(data, this.format, this.policy, out, this.treeLinks);
        break;
      case 'commit':
        fsckCommitInto(data, this.format, this.policy, out);
        if (!hasError(out)) this.commitLinks(data);
        break;
      case 'tag':
        fsckTagInto(data, this.format, this.policy, out);
        if (!hasError(out)) this.tagLink(data);
        break;
      case 'blob':
        this.checkDotfileInto(id, data, out);
        break;
    }
    if (out.length > 0) this.record(id, out);
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
    const { table } = this;
    for (const slot of table.slots()) {
      const value = table.link[slot] as number;
      if (value === 0) continue;
      const code = value & ((1 << TYPE_BITS) - 1);
      const actual = CODE_TYPES[table.type[slot] as number];
      const expected = CODE_TYPES[code];
      if (actual === expected && code !== CONFLICT_CODE) continue;
      const id = table.idAt(slot, this.format);
      const from = this.referrers.at(value >>> TYPE_BITS);
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
    const slot = this.table.find(this.raw(id), 0);
    const value = slot < 0 ? undefined : this.table.link[slot];
    const from = value === undefined ? id : this.referrers.at(value >>> TYPE_BITS);
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

  /** The raw id at `data[offset…]` is linked to by the newest referrer, as `type`. */
  private link(data: Uint8Array, offset: number, type: ObjectType): void {
    const table = this.table;
    const slot = table.slot(data, offset);
    const known = table.link[slot] as number;
    const code = TYPE_CODES[type];
    if (known === 0) {
      table.link[slot] = ((this.referrers.length - 1) << TYPE_BITS) | code;
    } else if ((known & ((1 << TYPE_BITS) - 1)) !== code) {
      table.link[slot] = (known & ~((1 << TYPE_BITS) - 1)) | CONFLICT_CODE;
    }
  }

  private setType(id: string, type: ObjectType): void {
    const slot = this.table.slot(this.raw(id), 0);
    this.table.type[slot] = TYPE_CODES[type];
  }

  /** `id` (lowercase hex of the format's length) as raw bytes, valid until the next call. */
  private raw(id: string): Buffer {
    this.rawScratch.write(id, 'hex');
    return this.rawScratch;
  }

  private typeOf(id: string): ObjectType | undefined {
    const slot = this.table.find(this.raw(id), 0);
    return slot < 0 ? undefined : CODE_TYPES[this.table.type[slot] as number];
  }

  private noteDotfile(id: ObjectId, kind: 'gitmodules' | 'gitattributes'): void {
    if (!this.dotfiles.has(id)) this.dotfiles.set(id, kind);
  }

  /** `hexLength` hex digits then a newline at `pos`, lower-cased; undefined otherwise. */
  private idAt(data: Buffer, pos: number): string | undefined {
    const end = pos + this.format.hexLength;
    if (data[end] !== 0x0a) return undefined;
    const id = data.toString('latin1', pos, end).toLowerCase();
    return HEX.test(id) ? id : undefined;
  }

  private commitLinks(data: Buffer): void {
    // fsck passed, so the layout is `tree <id>\n` then `parent <id>\n` lines (unless a bad id
    // was configured to be ignored: such a line links nothing).
    const step = this.format.hexLength + 1;
    const tree = this.idAt(data, 5);
    if (tree !== undefined) this.link(this.raw(tree), 0, 'tree');
    for (let pos = 5 + step; data.toString('latin1', pos, pos + 7) === 'parent '; pos += 7 + step) {
      const parent = this.idAt(data, pos + 7);
      if (parent === undefined) break;
      this.link(this.raw(parent), 0, 'commit');
    }
  }

  private tagLink(data: Buffer): void {
    const target = this.idAt(data, 7);
    const typeStart = 7 + this.format.hexLength + 1 + 'type '.length;
    const type = data.toString('latin1', typeStart, data.indexOf(0x0a, typeStart));
    if (target !== undefined && OBJECT_TYPES.has(type)) this.link(this.raw(target), 0, type as ObjectType);
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
