import { SHA1 } from '../git/object-format.js';
import { objectIdFromRaw, objectIdToRaw, type ObjectId } from '../git/object-id.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectFilter } from '../git/protocol/filter-spec.js';
import { RawIdTable } from '../git/raw-id-table.js';
import { forEachTreeChild, forEachTreeChildAt } from '../git/tree-children.js';
import { isMegaError, notFound } from '../platform/errors.js';
import type { ObjectSource } from './served-repository.js';

/** Trees read per batch by the level-wise walk. */
const TREE_BATCH = 500;

/** What the walk knows of an id (bits of its `RawIdTable` value). */
const SEEN = 1; // entered (trees) or picked (blobs)
const CLIENT_HAS = 2; // read on the client's side
const QUEUED = 4; // a tree waiting for the next level

export interface TreeWalkOptions {
  readonly filter?: ObjectFilter;
  /** Called once per tree and blob to send, in walk order. */
  readonly pick: (id: ObjectId, type: ObjectType) => void;
  readonly onDamaged: (problem: string) => void;
}

/** Trees to enter at one path, and the client's trees at that path (compared, never sent). */
interface PathGroup {
  readonly trees: ObjectId[];
  readonly bases: Set<ObjectId>;
}

/** One depth of the walk. */
interface Level {
  /** Trees to enter that nothing on the client's side is compared with. */
  readonly plain: ObjectId[];
  /** Trees to enter with the client's trees at the same path, by path. */
  readonly paths: Map<string, PathGroup>;
}

interface StoredTree {
  readonly id: ObjectId;
  readonly type: ObjectType;
  readonly content: Buffer;
}

/**
 * Tree and blob selection with the partial-clone filters (rev-list-options "--filter"), level by
 * level so each level is read in a few batched queries.
 *
 * What the client has is not read up front. The walk is given the root trees of the commits the
 * client has next to the ones sent (the uninteresting parents of sent commits) and compares them
 * path by path with the trees it enters, like git's sparse tree walk: at a path where a sent tree
 * differs, the client's trees at that path are read and every entry of theirs is known to the
 * client, so an equal entry is skipped without reading it, and a differing subtree is entered
 * with the client's subtrees of that name. The cost follows the change, not the repository: one
 * new commit reads its changed paths on both sides. Below a path the client's side lacks (a new,
 * moved or renamed directory, a root commit, a parent cut off by a shallow boundary) trees are
 * entered whole.
 *
 * Only two things stop the walk: an object the client is known to have (read on its side here)
 * and one the walk already took (entered, under the same rule). So nothing reachable is
 * missed in any order of reading. An object the client has somewhere this comparison does not
 * look (another path, another of its commits) is sent again: valid for git (index-pack accepts
 * objects it has), and the same trade git makes without reachability bitmaps.
 *
 * Everything read on the client's side is in `clientHas` afterwards: the old versions of the
 * changed paths, the natural delta bases of a thin pack.
 */
export class TreeWalk {
  /**
   * Every id the walk met, by its raw bytes (`SEEN`, `CLIENT_HAS`, `QUEUED`): a clone meets each
   * tree entry of the repository, most of them ids seen before, which are then skipped without
   * making a string of them.
   */
  private readonly known = new RawIdTable(SHA1.rawLength);
  /** Trees and blobs of the client's side read during the walk. */
  readonly clientHas = new Set<ObjectId>();

  constructor(
    private readonly objects: ObjectSource,
    private readonly options: TreeWalkOptions,
  ) {}

  /**
   * Walks from root trees. `bases` are root trees the client has (compared, not sent);
   * `explicit` roots were wanted by id and ignore `tree:0`.
   */
  async walk(roots: readonly ObjectId[], bases: readonly ObjectId[] = [], explicit = false): Promise<void> {
    const filter = this.options.filter;
    if (!explicit && filter?.kind === 'tree' && filter.depth === 0) return;
    for (const base of bases) this.addClientHas(base);
    let level: Level = { plain: [], paths: new Map() };
    if (bases.length > 0) level.paths.set('', { trees: [...roots], bases: new Set(bases) });
    else level = { plain: [...roots], paths: level.paths };
    for (let depth = 0; level.plain.length > 0 || level.paths.size > 0; depth++) {
      const descend = filter?.kind !== 'tree' || depth + 1 < filter.depth;
      const next: Level = { plain: [], paths: new Map() };
      const groups: Array<{ path: string; fresh: ObjectId[]; bases: ReadonlySet<ObjectId> }> = [];
      for (const [path, group] of level.paths) {
        const fresh = this.enter(group.trees);
        if (fresh.length > 0) groups.push({ path, fresh, bases: group.bases });
      }
      const plain = this.enter(level.plain);
      if (groups.length > 0) await this.walkCompared(groups, depth, descend, next);
      for await (const tree of readTrees(this.objects, plain)) {
        const pending = this.enterPlain(tree, depth, descend, next);
        if (pending) await pending;
      }
      level = next;
    }
  }

  /**
   * The children of a tree entered with nothing to compare: subtrees queued for the next level,
   * blobs picked (in entry order, after the tree's scan). Ids met before are skipped by their
   * bytes; only new ones become strings. Returns a promise only when the filter reads blob sizes.
   */
  private enterPlain(
    tree: StoredTree,
    depth: number,
    descend: boolean,
    next: Level,
  ): Promise<void> | undefined {
    const filter = this.options.filter;
    // Which blobs the filter keeps is known without reading them, except for `blob:limit`.
    const blobsKept = !filter || (filter.kind === 'tree' && depth + 1 < filter.depth);
    const blobsDropped = filter?.kind === 'blob:none' || (filter?.kind === 'tree' && !blobsKept);
    const known = this.known;
    const picked: ObjectId[] = [];
    const sized: ObjectId[] = [];
    if (tree.type !== 'tree') {
      this.options.onDamaged(`object ${tree.id} is a ${tree.type}, not a tree; sent as it is, not walked`);
      return undefined;
    }
    const data = tree.content;
    try {
      forEachTreeChildAt(data, (at, isTree) => {
        if (!isTree && blobsDropped) return;
        if (isTree && !descend) return;
        const slot = known.slot(data, at);
        const state = known.type[slot] as number;
        if (state & (SEEN | CLIENT_HAS)) return;
        if (isTree) {
          if (state & QUEUED) return;
          known.type[slot] = state | QUEUED;
          next.plain.push(objectIdFromRaw(data, at));
        } else if (blobsKept) {
          known.type[slot] = state | SEEN;
          picked.push(objectIdFromRaw(data, at));
        } else sized.push(objectIdFromRaw(data, at));
      });
    } catch (error) {
      if (!isMegaError(error, 'invalid')) throw error;
      this.options.onDamaged(
        `tree ${tree.id} cannot be parsed (${error.message}); its entries after that point are not sent`,
      );
    }
    for (const id of picked) this.options.pick(id, 'blob');
    return sized.length > 0 ? this.pickBlobs(sized, depth + 1) : undefined;
  }

  /** Trees among `ids` not skipped: marked seen and picked. */
  private enter(ids: readonly ObjectId[]): ObjectId[] {
    const fresh: ObjectId[] = [];
    for (const id of ids) {
      const raw = objectIdToRaw(id);
      const slot = this.known.slot(raw, 0);
      const state = this.known.type[slot] as number;
      if (state & (SEEN | CLIENT_HAS)) continue;
      this.known.type[slot] = state | SEEN;
      this.options.pick(id, 'tree');
      fresh.push(id);
    }
    return fresh;
  }

  private has(id: ObjectId, bits: number): boolean {
    const slot = this.known.find(objectIdToRaw(id), 0);
    return slot >= 0 && ((this.known.type[slot] as number) & bits) !== 0;
  }

  private skips(id: ObjectId): boolean {
    return this.has(id, SEEN | CLIENT_HAS);
  }

  private addClientHas(id: ObjectId): void {
    this.clientHas.add(id);
    const slot = this.known.slot(objectIdToRaw(id), 0);
    this.known.type[slot] = (this.known.type[slot] as number) | CLIENT_HAS;
  }

  private markSeen(id: ObjectId): void {
    const slot = this.known.slot(objectIdToRaw(id), 0);
    this.known.type[slot] = (this.known.type[slot] as number) | SEEN;
  }

  /**
   * Enters the trees of paths where the client has trees too: the client's trees of the whole
   * level are read first (with the sent ones, in the same batches), so what any of them holds is
   * skipped everywhere on the level.
   */
  private async walkCompared(
    groups: ReadonlyArray<{ path: string; fresh: readonly ObjectId[]; bases: ReadonlySet<ObjectId> }>,
    depth: number,
    descend: boolean,
    next: Level,
  ): Promise<void> {
    const ids = new Set<ObjectId>();
    for (const group of groups) {
      for (const id of group.fresh) ids.add(id);
      for (const id of group.bases) ids.add(id);
    }
    const read = new Map<ObjectId, StoredTree>();
    for await (const tree of readTrees(this.objects, [...ids])) read.set(tree.id, tree);
    const subtreesByGroup = groups.map((group) => {
      // The client's subtrees by name: compared with the sent subtrees of that name one level down.
      const byName = new Map<string, ObjectId[]>();
      for (const base of group.bases) {
        const tree = read.get(base) as StoredTree;
        forEachChildOfStored(
          tree,
          (id, isTree, nameStart, nameEnd) => {
            this.addClientHas(id);
            if (!isTree || !descend) return;
            const name = tree.content.toString('latin1', nameStart, nameEnd);
            const list = byName.get(name);
            if (list) list.push(id);
            else byName.set(name, [id]);
          },
          this.options.onDamaged,
        );
      }
      return byName;
    });
    for (const [index, group] of groups.entries()) {
      const byName = subtreesByGroup[index] as Map<string, ObjectId[]>;
      for (const id of group.fresh) {
        const tree = read.get(id) as StoredTree;
        const blobs: ObjectId[] = [];
        forEachChildOfStored(
          tree,
          (child, isTree, nameStart, nameEnd) => {
            if (this.skips(child)) return;
            if (!isTree) {
              blobs.push(child);
              return;
            }
            if (!descend) return;
            const name = tree.content.toString('latin1', nameStart, nameEnd);
            const theirs = byName.get(name);
            if (theirs) addToPath(next.paths, `${group.path}/${name}`, child, theirs);
            else next.plain.push(child);
          },
          this.options.onDamaged,
        );
        await this.pickBlobs(blobs, depth + 1);
      }
    }
  }

  private async pickBlobs(blobs: readonly ObjectId[], depth: number): Promise<void> {
    for (const id of blobs) {
      if (this.has(id, SEEN)) continue;
      if (this.options.filter && !(await this.wantsBlob(this.options.filter, id, depth))) continue;
      this.markSeen(id);
      this.options.pick(id, 'blob');
    }
  }

  private async wantsBlob(filter: ObjectFilter, id: ObjectId, depth: number): Promise<boolean> {
    if (filter.kind === 'blob:none') return false;
    if (filter.kind === 'tree') return depth < filter.depth;
    const header = await this.objects.readObjectHeader(id);
    return header !== undefined && header.size < filter.limit;
  }
}

function addToPath(
  paths: Map<string, PathGroup>,
  path: string,
  tree: ObjectId,
  bases: readonly ObjectId[],
): void {
  let group = paths.get(path);
  if (!group) {
    group = { trees: [], bases: new Set() };
    paths.set(path, group);
  }
  group.trees.push(tree);
  for (const base of bases) group.bases.add(base);
}

/**
 * Calls `visit` for each child of a stored tree; a damaged one (not a tree, or not parseable:
 * data stored before pushes were checked with fsck) is reported and its children skipped, so one
 * bad object never ends the whole fetch.
 */
function forEachChildOfStored(
  tree: StoredTree,
  visit: (id: ObjectId, isTree: boolean, nameStart: number, nameEnd: number) => void,
  onDamaged: (problem: string) => void,
): void {
  if (tree.type !== 'tree') {
    onDamaged(`object ${tree.id} is a ${tree.type}, not a tree; sent as it is, not walked`);
    return;
  }
  try {
    forEachTreeChild(tree.content, visit);
  } catch (error) {
    if (!isMegaError(error, 'invalid')) throw error;
    onDamaged(
      `tree ${tree.id} cannot be parsed (${error.message}); its entries after that point are not sent`,
    );
  }
}

/** Reads trees in batches (one storage round trip per batch for a stored repository), in order. */
async function* readTrees(objects: ObjectSource, ids: readonly ObjectId[]): AsyncGenerator<StoredTree> {
  for (let start = 0; start < ids.length; start += TREE_BATCH) {
    const batch = ids.slice(start, start + TREE_BATCH);
    const found = new Map<ObjectId, { type: ObjectType; content: Buffer }>();
    for await (const object of objects.readObjects(batch)) found.set(object.id, object);
    for (const id of batch) {
      const object = found.get(id);
      if (!object) throw notFound('object_missing', `tree ${id} is missing`);
      yield { id, type: object.type, content: object.content };
    }
  }
}
