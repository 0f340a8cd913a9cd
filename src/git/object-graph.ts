import { parseCommit } from './commit.js';
import { DenseIdIndex } from './dense-id-index.js';
import { identSeconds } from './ident.js';
import type { ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import { isObjectId, type ObjectId } from './object-id.js';
import type { TreeEdgeList } from './pack-fsck.js';
import { tagHeadTarget } from './tag.js';
import {
  MODE_GITLINK,
  MODE_TREE,
  MODE_TYPE_MASK,
  newTreeEntry,
  readTreeEntry,
} from './tree-entry-scanner.js';
import { invalid, isMegaError } from '../platform/errors.js';

/**
 * Memory one graph may take before it gives up (about 2.5 million objects of a typical
 * repository's shape; the `large` bench repository, 497k objects, takes about 50 MB).
 */
export const DEFAULT_GRAPH_BUDGET_BYTES = 256 * 1024 * 1024;
/** Edge slots per arena chunk (4 MiB): chunks are never copied, one list never spans two. */
const ARENA_CHUNK = 1 << 20;
const INITIAL_OBJECTS = 1 << 12;
const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPES_BY_CODE: ReadonlyArray<ObjectType | undefined> = [undefined, 'commit', 'tree', 'blob', 'tag'];
/** A commit's edge list: its tree, its time in two words, then its parents. */
const COMMIT_PARENTS_AT = 3;
const TWO_TO_32 = 2 ** 32;

/**
 * What a pack's objects point to, kept while the pack is read, so the objects a set of wants
 * reaches can be listed without reading anything back (the walk of a first push's likely clones,
 * `src/repo/graph-walk.ts`). Per object: a number (`DenseIdIndex`), its type, its delta base and
 * one list of numbers in a shared arena: a tree's children in entry order (gitlinks left out,
 * each with whether its mode is a tree's), a commit's tree, time and parents, a tag's target.
 * No object and no string per object: about 100 bytes per object of a typical repository
 * (38 per id, 15 per object, 4 per tree entry). Ids pointed to but never added are known by
 * number and have no type: the pack does not hold them.
 *
 * Past `budgetBytes`, or at an object it cannot parse (a pack read without fsck), the graph
 * drops everything and ignores what follows (`usable` turns false): the caller walks the
 * repository as before.
 *
 * Beside a pack's fsck the graph shares fsck's index (`ids`) and takes each tree's edges from
 * fsck's scan (`addChecked`): every tree is parsed once and every entry's id looked up once.
 */
export class ObjectGraph {
  private index: DenseIdIndex;
  private capacity = INITIAL_OBJECTS;
  private types = new Uint8Array(INITIAL_OBJECTS);
  /** Delta base number + 1 (0 = stored whole in the pack). */
  private bases = new Int32Array(INITIAL_OBJECTS);
  private edgeChunk = new Uint16Array(INITIAL_OBJECTS);
  private edgeStart = new Int32Array(INITIAL_OBJECTS);
  private edgeCount = new Int32Array(INITIAL_OBJECTS);
  private arena: Int32Array[] = [];
  private arenaFill = ARENA_CHUNK;
  private scratch = new Int32Array(1024);
  private readonly rawId: Buffer;
  private readonly entry = newTreeEntry();
  private dropped = false;

  /** `ids` (optional): an index of ids shared with a `PackFsck` (see `addChecked`). */
  constructor(
    private readonly format: ObjectFormat,
    private readonly budgetBytes = DEFAULT_GRAPH_BUDGET_BYTES,
    ids?: DenseIdIndex,
  ) {
    this.index = ids ?? new DenseIdIndex(format.rawLength);
    this.rawId = Buffer.alloc(format.rawLength);
  }

  /** False once the graph gave up (budget passed, unparsable object): it holds nothing then. */
  get usable(): boolean {
    return !this.dropped;
  }

  /** Objects known by number: those added and those only pointed to. */
  get size(): number {
    return this.index.size;
  }

  /** Bytes held by the graph's arrays. */
  get bytes(): number {
    if (this.dropped) return 0;
    let arena = 0;
    for (const chunk of this.arena) arena += chunk.byteLength;
    // types 1 + bases 4 + edgeChunk 2 + edgeStart 4 + edgeCount 4 bytes per object.
    return this.index.bytes + this.capacity * 15 + arena;
  }

  /**
   * Adds one object of the pack: `data` is its inflated content (undefined only for a blob
   * streamed past memory), `deltaBase` the object the pack stores it as a delta of. `rawIds`,
   * when given, holds the raw id at `rawAt` and the delta base's right after it (well formed:
   * the pack reader made them), so neither hex id is parsed back.
   */
  add(
    id: ObjectId,
    type: ObjectType,
    data: Buffer | undefined,
    deltaBase?: ObjectId,
    rawIds?: Uint8Array,
    rawAt = 0,
  ): void {
    if (this.dropped) return;
    try {
      const number = rawIds ? this.numberAt(rawIds, rawAt) : this.number(id);
      this.addNumbered(number, type, data, undefined, deltaBase, rawIds, rawAt);
    } catch (error) {
      if (!isMegaError(error, 'invalid')) throw error;
      this.drop();
    }
  }

  /**
   * `add` for an object a `PackFsck` sharing this graph's index has just checked: `number` is
   * what its `add` returned, and for a tree `edges` holds the children its scan numbered. `data`
   * is undefined only for a blob, as in `add`.
   */
  addChecked(
    number: number,
    type: ObjectType,
    data: Buffer | undefined,
    edges: TreeEdgeList,
    deltaBase?: ObjectId,
    rawIds?: Uint8Array,
    rawAt = 0,
  ): void {
    if (this.dropped) return;
    try {
      // fsck numbered the object and its tree's children: the arrays must cover them.
      if (this.index.size > this.capacity) this.growObjects(this.index.size);
      this.addNumbered(number, type, data, type === 'tree' ? edges : undefined, deltaBase, rawIds, rawAt);
    } catch (error) {
      if (!isMegaError(error, 'invalid')) throw error;
      this.drop();
    }
  }

  private addNumbered(
    number: number,
    type: ObjectType,
    data: Buffer | undefined,
    edges: TreeEdgeList | undefined,
    deltaBase: ObjectId | undefined,
    rawIds: Uint8Array | undefined,
    rawAt: number,
  ): void {
    if (this.types[number] !== 0) return;
    this.types[number] = TYPE_CODES[type];
    if (deltaBase !== undefined)
      this.bases[number] =
        (rawIds ? this.numberAt(rawIds, rawAt + this.format.rawLength) : this.number(deltaBase)) + 1;
    if (edges !== undefined) {
      if (!edges.whole) throw notATree();
      this.storeEdges(number, edges.count, edges.values);
    } else if (data !== undefined) {
      if (type === 'tree') this.addTree(number, data);
      else if (type === 'commit') this.addCommit(number, data);
      else if (type === 'tag') this.addTag(number, data);
    } else if (type !== 'blob') {
      this.drop();
      return;
    }
    if (this.bytes > this.budgetBytes) this.drop();
  }

  /** Frees everything; the graph stays unusable. */
  drop(): void {
    this.dropped = true;
    this.index = new DenseIdIndex(this.format.rawLength);
    this.capacity = 0;
    this.types = new Uint8Array(0);
    this.bases = new Int32Array(0);
    this.edgeChunk = new Uint16Array(0);
    this.edgeStart = new Int32Array(0);
    this.edgeCount = new Int32Array(0);
    this.arena = [];
    this.scratch = new Int32Array(0);
  }

  /** The number of `id`, or -1 when the graph never saw it. */
  find(id: ObjectId): number {
    if (this.dropped || id.length !== this.format.hexLength) return -1;
    this.rawId.write(id, 0, this.format.rawLength, 'hex');
    return this.index.find(this.rawId, 0);
  }

  idAt(number: number): ObjectId {
    return this.index.idAt(number, this.format);
  }

  /** Calls `visit` with each object's number and raw id (`data[offset…]`), no hex made. */
  forEachRawId(visit: (number: number, data: Uint8Array, offset: number) => void): void {
    if (!this.dropped) this.index.forEachRaw(visit);
  }

  /** The object's type in the pack; undefined when the pack does not hold it. */
  typeOf(number: number): ObjectType | undefined {
    return TYPES_BY_CODE[this.types[number] as number];
  }

  /** The number of the object the pack stores `number` as a delta of, or -1. */
  deltaBaseOf(number: number): number {
    return (this.bases[number] as number) - 1;
  }

  /** Entries of a tree that a pack may carry (gitlinks are not counted). */
  childCount(tree: number): number {
    return this.edgeCount[tree] as number;
  }

  /** The number of a tree's `i`th child. */
  child(tree: number, i: number): number {
    return this.edge(tree, i) >>> 1;
  }

  /** Whether a tree's `i`th entry has a tree's mode (`40000`): a walk enters it. */
  childIsTree(tree: number, i: number): boolean {
    return (this.edge(tree, i) & 1) === 1;
  }

  commitTree(commit: number): number {
    return this.edge(commit, 0);
  }

  /** Committer time in seconds, as storage keeps it (`identSeconds`). */
  commitTime(commit: number): number {
    return this.edge(commit, 1) * TWO_TO_32 + (this.edge(commit, 2) >>> 0);
  }

  parentCount(commit: number): number {
    return (this.edgeCount[commit] as number) - COMMIT_PARENTS_AT;
  }

  parent(commit: number, i: number): number {
    return this.edge(commit, COMMIT_PARENTS_AT + i);
  }

  /** The object a tag names, or -1 when its head does not say. */
  tagTarget(tag: number): number {
    return this.edgeCount[tag] === 1 ? this.edge(tag, 0) : -1;
  }

  private edge(number: number, i: number): number {
    const chunk = this.arena[this.edgeChunk[number] as number] as Int32Array;
    return chunk[(this.edgeStart[number] as number) + i] as number;
  }

  /** The number of a hex id, given one when new; a malformed id (no fsck) is `invalid`. */
  private number(id: ObjectId): number {
    if (!isObjectId(id, this.format)) throw invalid('invalid_object_id', 'malformed object id in a header');
    this.rawId.write(id, 0, this.format.rawLength, 'hex');
    return this.numberAt(this.rawId, 0);
  }

  private numberAt(data: Uint8Array, offset: number): number {
    const number = this.index.add(data, offset);
    if (number >= this.capacity) this.growObjects(number + 1);
    return number;
  }

  /** A tree's entries as git's tree walk reads them (no fsck ran: a bad entry is `invalid`). */
  private addTree(tree: number, data: Buffer): void {
    const raw = this.format.rawLength;
    const entry = this.entry;
    let count = 0;
    for (let pos = 0; pos < data.length; pos = entry.next) {
      if (!readTreeEntry(data, pos, raw, entry)) throw notATree();
      const kind = entry.mode & MODE_TYPE_MASK;
      if (kind !== MODE_GITLINK) {
        if (count === this.scratch.length) this.growScratch();
        this.scratch[count++] = (this.numberAt(data, entry.nameEnd + 1) << 1) | (kind === MODE_TREE ? 1 : 0);
      }
    }
    this.storeEdges(tree, count, this.scratch);
  }

  private addCommit(commit: number, data: Buffer): void {
    const parsed = parseCommit(data);
    const time = identSeconds(parsed.committer);
    this.scratch[0] = this.number(parsed.tree);
    this.scratch[1] = Math.floor(time / TWO_TO_32);
    this.scratch[2] = (time % TWO_TO_32) | 0;
    let count = COMMIT_PARENTS_AT;
    for (const parent of parsed.parents) {
      if (count === this.scratch.length) this.growScratch();
      this.scratch[count++] = this.number(parent);
    }
    this.storeEdges(commit, count, this.scratch);
  }

  private addTag(tag: number, data: Buffer): void {
    const target = tagHeadTarget(data);
    if (!target) return;
    this.scratch[0] = this.number(target.object);
    this.storeEdges(tag, 1, this.scratch);
  }

  /** Copies the first `count` numbers of `edges` into the arena as `number`'s edge list. */
  private storeEdges(number: number, count: number, edges: Int32Array): void {
    if (this.arenaFill + count > ARENA_CHUNK || this.arena.length === 0) {
      // A list longer than a chunk (a tree of a million entries) gets a chunk of its own.
      this.arena.push(new Int32Array(Math.max(ARENA_CHUNK, count)));
      this.arenaFill = 0;
    }
    const chunk = this.arena.length - 1;
    const arena = this.arena[chunk] as Int32Array;
    // A loop, not set(subarray): most lists are a few numbers, and a view per tree is garbage.
    const fill = this.arenaFill;
    for (let i = 0; i < count; i++) arena[fill + i] = edges[i] as number;
    this.edgeChunk[number] = chunk;
    this.edgeStart[number] = this.arenaFill;
    this.edgeCount[number] = count;
    this.arenaFill += count;
  }

  private growScratch(): void {
    const grown = new Int32Array(this.scratch.length * 2);
    grown.set(this.scratch);
    this.scratch = grown;
  }

  /** Grows the per-object arrays to hold at least `size` objects. */
  private growObjects(size: number): void {
    let capacity = this.capacity * 2;
    while (capacity < size) capacity *= 2;
    const grow = <T extends Uint8Array | Uint16Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(old);
      return grown;
    };
    this.types = grow(this.types, (n) => new Uint8Array(n));
    this.bases = grow(this.bases, (n) => new Int32Array(n));
    this.edgeChunk = grow(this.edgeChunk, (n) => new Uint16Array(n));
    this.edgeStart = grow(this.edgeStart, (n) => new Int32Array(n));
    this.edgeCount = grow(this.edgeCount, (n) => new Int32Array(n));
    this.capacity = capacity;
  }
}

function notATree(): Error {
  return invalid('object_bad_tree', 'tree entry is malformed');
}
