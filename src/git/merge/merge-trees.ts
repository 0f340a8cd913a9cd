import type { ObjectId } from '../object-id.js';
import { entryKind, FileMode, serializeTree, sortTreeEntries, type TreeEntry } from '../tree.js';
import { tooLarge } from '../../platform/errors.js';
import { mergeFile } from './merge-file.js';

/**
 * A three-way merge of trees with the verdict and result of `git merge-tree --write-tree` for what
 * merge requests meet (no rename detection: see src/review/README.md). Each name of a directory is
 * two slots, a file slot (blob, symlink or gitlink) and a directory slot, merged on their own:
 *
 * - a slot both sides left alike, or one side left as in the base, takes the other side;
 * - two different files: regular files merge their mode (executable bit) and their content at
 *   line level (`mergeFile`, an add/add against an empty base); symlinks, gitlinks, a change of
 *   kind, binary content, or modes changed differently on both sides are conflicts;
 * - deleted on one side and changed on the other is a conflict (the changed file is kept);
 * - two different directories merge recursively;
 * - a file and a directory left at one name is a conflict (both are kept: the file as `name~ours`
 *   or `name~theirs`, like git keeps both sides' entries).
 *
 * Subtrees that only one side changed are taken whole without being read, so the work follows the
 * paths changed on both sides, not the size of the trees.
 */

/** Reads and writes for a tree merge (the monorepo's pending objects in the service). */
export interface MergeObjects {
  tree(id: ObjectId): Promise<readonly TreeEntry[]>;
  blob(id: ObjectId): Promise<Buffer>;
  put(type: 'blob' | 'tree', content: Buffer): ObjectId;
}

export interface TreeMergeOptions {
  /** Entries compared at most (a bound for huge merges): beyond it `merge_too_large`. */
  readonly maxEntries?: number;
  readonly oursLabel?: string;
  readonly theirsLabel?: string;
}

export interface TreeMergeResult {
  /** The merged tree (conflicting files hold markers, or ours' version). */
  readonly tree: ObjectId;
  /** Conflicting paths, sorted. */
  readonly conflicts: readonly string[];
}

export const DEFAULT_MAX_MERGE_ENTRIES = 100_000;

type Entry = Pick<TreeEntry, 'mode' | 'id'>;

export async function mergeTrees(
  objects: MergeObjects,
  base: ObjectId | undefined,
  ours: ObjectId | undefined,
  theirs: ObjectId | undefined,
  options: TreeMergeOptions = {},
): Promise<TreeMergeResult> {
  const merger = new TreeMerger(objects, options);
  let tree = await merger.mergeDirectory(base, ours, theirs, '');
  if (merger.deletedAndChanged.length > 0 || merger.deletedByBoth.length > 0) {
    tree = await followExactRenames(objects, merger, { base, ours, theirs }, tree);
  }
  return {
    tree: tree ?? objects.put('tree', Buffer.alloc(0)),
    conflicts: [...merger.conflicts].sort(),
  };
}

/** A file deleted on one side and changed on the other (a conflict unless it was renamed). */
interface DeletedAndChanged {
  readonly path: string;
  readonly base: Entry;
  readonly changed: Entry;
  readonly deletedBy: 'ours' | 'theirs';
}

class TreeMerger {
  readonly conflicts = new Set<string>();
  readonly deletedAndChanged: DeletedAndChanged[] = [];
  /** Files both sides deleted: renamed to two different paths, they conflict (rename/rename). */
  readonly deletedByBoth: Array<{ readonly path: string; readonly base: Entry }> = [];
  private entries = 0;

  constructor(
    private readonly objects: MergeObjects,
    private readonly options: TreeMergeOptions,
  ) {}

  async mergeDirectory(
    base: ObjectId | undefined,
    ours: ObjectId | undefined,
    theirs: ObjectId | undefined,
    prefix: string,
  ): Promise<ObjectId | undefined> {
    if (ours === theirs || base === theirs) return ours;
    if (base === ours) return theirs;
    const [b, o, t] = await Promise.all([this.read(base), this.read(ours), this.read(theirs)]);
    const names = new Set([...b.keys(), ...o.keys(), ...t.keys()]);
    this.entries += names.size;
    if (this.entries > (this.options.maxEntries ?? DEFAULT_MAX_MERGE_ENTRIES)) {
      throw tooLarge('merge_too_large', 'the merge compares too many files', {
        limit: this.options.maxEntries ?? DEFAULT_MAX_MERGE_ENTRIES,
      });
    }
    // Names merge concurrently: the blob and subtree reads of a wide directory overlap instead of
    // waiting on each other (one database round trip each).
    const merged = await Promise.all(
      [...names].map(async (name) => {
        const path = `${prefix}${name}`;
        const [bf, of, tf] = [fileOf(b.get(name)), fileOf(o.get(name)), fileOf(t.get(name))];
        const [bd, od, td] = [dirOf(b.get(name)), dirOf(o.get(name)), dirOf(t.get(name))];
        const [file, dir] = await Promise.all([
          this.mergeFileSlot(bf, of, tf, path),
          this.mergeDirectory(bd, od, td, `${path}/`),
        ]);
        return { name, path, file, dir, ours: of };
      }),
    );
    const out: TreeEntry[] = [];
    for (const { name, path, file, dir, ours: of } of merged) {
      if (file && dir) {
        this.conflicts.add(path);
        // Both stay: the directory under its name, the file beside it under the side that made it.
        const side = sameEntry(file, of)
          ? (this.options.oursLabel ?? 'ours')
          : (this.options.theirsLabel ?? 'theirs');
        out.push({ name: `${name}~${side}`, ...file });
      } else if (file) {
        out.push({ name, ...file });
      }
      if (dir) out.push({ name, mode: FileMode.tree, id: dir });
    }
    if (out.length === 0) return undefined;
    return this.objects.put('tree', serializeTree(sortTreeEntries(out)));
  }

  async mergeFileSlot(
    base: Entry | undefined,
    ours: Entry | undefined,
    theirs: Entry | undefined,
    path: string,
  ): Promise<Entry | undefined> {
    if (base && !ours && !theirs) this.deletedByBoth.push({ path, base });
    if (sameEntry(ours, theirs) || sameEntry(base, theirs)) return ours;
    if (sameEntry(base, ours)) return theirs;
    if (!ours || !theirs) {
      // Deleted on one side, changed on the other: the changed file stays, as a conflict.
      this.conflicts.add(path);
      const changed = ours ?? theirs;
      if (base && changed)
        this.deletedAndChanged.push({ path, base, changed, deletedBy: ours ? 'theirs' : 'ours' });
      return changed;
    }
    const kind = entryKind(ours.mode);
    if (kind !== 'blob' || entryKind(theirs.mode) !== 'blob') {
      // Symlinks and gitlinks changed differently, or a change of kind, cannot be combined.
      this.conflicts.add(path);
      return ours;
    }
    const baseFile = base && entryKind(base.mode) === 'blob' ? base : undefined;
    const mode = mergeMode(baseFile?.mode, ours.mode, theirs.mode);
    if (mode === undefined) this.conflicts.add(path);
    const id = await this.mergeContent(baseFile?.id, ours.id, theirs.id, path);
    return { mode: mode ?? ours.mode, id };
  }

  private async mergeContent(
    base: ObjectId | undefined,
    ours: ObjectId,
    theirs: ObjectId,
    path: string,
  ): Promise<ObjectId> {
    if (ours === theirs || base === theirs) return ours;
    if (base === ours) return theirs;
    const [b, o, t] = await Promise.all([
      base ? this.objects.blob(base) : Buffer.alloc(0),
      this.objects.blob(ours),
      this.objects.blob(theirs),
    ]);
    const merged = mergeFile(b, o, t, {
      oursLabel: this.options.oursLabel ?? 'ours',
      theirsLabel: this.options.theirsLabel ?? 'theirs',
      joinNonAlnum: false,
    });
    if (merged.conflicts > 0) this.conflicts.add(path);
    return merged.content === o ? ours : this.objects.put('blob', merged.content);
  }

  private async read(tree: ObjectId | undefined): Promise<Map<string, TreeEntry>> {
    if (!tree) return new Map();
    return new Map((await this.objects.tree(tree)).map((entry) => [entry.name, entry]));
  }
}

/** Both sides changed the mode: equal changes agree, different ones conflict (undefined). */
function mergeMode(base: string | undefined, ours: string, theirs: string): string | undefined {
  if (ours === theirs || base === theirs) return ours;
  if (base === ours) return theirs;
  return undefined;
}

function fileOf(entry: TreeEntry | undefined): Entry | undefined {
  return entry && entryKind(entry.mode) !== 'tree' ? { mode: entry.mode, id: entry.id } : undefined;
}

function dirOf(entry: TreeEntry | undefined): ObjectId | undefined {
  return entry && entryKind(entry.mode) === 'tree' ? entry.id : undefined;
}

function sameEntry(a: Entry | undefined, b: Entry | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.id === b.id && a.mode === b.mode);
}

/**
 * Exact renames (git's merge-tree finds renames by similarity; the exact ones are cheap): a file
 * one side deleted and the other changed, where the deleting side added a file with the very
 * base blob at a new path, was renamed there. The change follows it: the new path gets the
 * merged file, the old one goes, and the conflict is gone (unless the modes clash).
 */
async function followExactRenames(
  objects: MergeObjects,
  merger: TreeMerger,
  trees: { base: ObjectId | undefined; ours: ObjectId | undefined; theirs: ObjectId | undefined },
  merged: ObjectId | undefined,
): Promise<ObjectId | undefined> {
  const added = {
    ours: undefined as Map<ObjectId, string[]> | undefined,
    theirs: undefined as Map<ObjectId, string[]> | undefined,
  };
  const used = new Set<string>();
  let tree = merged;
  for (const item of merger.deletedAndChanged) {
    const side = item.deletedBy;
    added[side] ??= await addedFiles(objects, trees.base, trees[side]);
    const targets = (added[side].get(item.base.id) ?? []).filter((path) => !used.has(path));
    if (targets.length !== 1) continue;
    const target = targets[0]!;
    const renamed = tree ? await entryAt(objects, tree, target.split('/')) : undefined;
    if (!renamed || renamed.id !== item.base.id || entryKind(renamed.mode) !== entryKind(item.base.mode))
      continue;
    const ours = side === 'ours' ? renamed : item.changed;
    const theirs = side === 'ours' ? item.changed : renamed;
    if (merger.conflicts.has(target)) continue;
    const result = await merger.mergeFileSlot(item.base, ours, theirs, target);
    if (!result || merger.conflicts.has(target)) {
      // The renamed file conflicts too (say, modes changed differently): report the old path.
      merger.conflicts.delete(target);
      continue;
    }
    merger.conflicts.delete(item.path);
    used.add(target);
    tree = await setAt(objects, tree, item.path.split('/'), undefined);
    tree = await setAt(objects, tree, target.split('/'), result);
  }
  for (const item of merger.deletedByBoth) {
    // The same file renamed to two different places: git reports rename/rename on all three paths.
    added.ours ??= await addedFiles(objects, trees.base, trees.ours);
    added.theirs ??= await addedFiles(objects, trees.base, trees.theirs);
    const ours = added.ours.get(item.base.id) ?? [];
    const theirs = added.theirs.get(item.base.id) ?? [];
    if (ours.length !== 1 || theirs.length !== 1 || ours[0] === theirs[0]) continue;
    for (const path of [item.path, ours[0]!, theirs[0]!]) merger.conflicts.add(path);
  }
  return tree;
}

/** Files (not directories) a side added since the base, by blob id: walks only changed subtrees. */
async function addedFiles(
  objects: MergeObjects,
  base: ObjectId | undefined,
  side: ObjectId | undefined,
  prefix = '',
  out = new Map<ObjectId, string[]>(),
): Promise<Map<ObjectId, string[]>> {
  if (base === side || !side) return out;
  const before = new Map((base ? await objects.tree(base) : []).map((entry) => [entry.name, entry]));
  for (const entry of await objects.tree(side)) {
    const old = before.get(entry.name);
    const path = `${prefix}${entry.name}`;
    if (entryKind(entry.mode) === 'tree') {
      await addedFiles(
        objects,
        old && entryKind(old.mode) === 'tree' ? old.id : undefined,
        entry.id,
        `${path}/`,
        out,
      );
    } else if (!old || entryKind(old.mode) === 'tree') {
      out.set(entry.id, [...(out.get(entry.id) ?? []), path]);
    }
  }
  return out;
}

async function entryAt(
  objects: MergeObjects,
  tree: ObjectId,
  segments: readonly string[],
): Promise<Entry | undefined> {
  const [name, ...rest] = segments;
  const found = (await objects.tree(tree)).find((entry) => entry.name === name);
  if (!found || rest.length === 0) return found && { mode: found.mode, id: found.id };
  return entryKind(found.mode) === 'tree' ? entryAt(objects, found.id, rest) : undefined;
}

/** The tree with `value` at `segments` (undefined removes; emptied directories go too). */
async function setAt(
  objects: MergeObjects,
  tree: ObjectId | undefined,
  segments: readonly string[],
  value: Entry | undefined,
): Promise<ObjectId | undefined> {
  const [name, ...rest] = segments;
  if (name === undefined) return undefined;
  const entries = (tree ? await objects.tree(tree) : []).filter((entry) => entry.name !== name);
  const current = (tree ? await objects.tree(tree) : []).find((entry) => entry.name === name);
  let next = value;
  if (rest.length > 0) {
    const subtree = current && entryKind(current.mode) === 'tree' ? current.id : undefined;
    const id = await setAt(objects, subtree, rest, value);
    next = id ? { mode: FileMode.tree, id } : undefined;
  }
  if (next) entries.push({ name, ...next });
  if (entries.length === 0) return undefined;
  return objects.put('tree', serializeTree(sortTreeEntries(entries)));
}
