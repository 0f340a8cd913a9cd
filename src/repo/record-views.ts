import { SHA1, SHA256 } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectFilter } from '../git/protocol/filter-spec.js';
import { RawIdTable } from '../git/raw-id-table.js';
import { shallowerThan } from './record-filters.js';
import type { ObjectSource, RecordView, WalkList, WalkedObject } from './served-repository.js';
import { walkListOf } from './walk-list.js';

/**
 * Partial clones filtered from a recorded walk's stored bytes, as `filterRecordedWalk` filters
 * the decoded walk, without decoding what the filter drops. A `tree:1` clone of the 497k-object
 * bench repository keeps 24k objects: decoding the whole walk first (half a million objects and
 * their hex ids, ~0.4 s and as much again in garbage collection) was most of its server time.
 * `blob:limit` asks the blobs' sizes by row key and reads back only the keys of the large ones.
 * Undefined when the source cannot say.
 */
export async function filterRecordView(
  source: ObjectSource,
  view: RecordView,
  explicit: ReadonlySet<ObjectId>,
  filter: ObjectFilter,
): Promise<readonly WalkedObject[] | undefined> {
  const decoded = (keep: Keep) => {
    const picked = view.pick(keep);
    return picked && walkListOf(picked);
  };
  return (await filterView(source, view, explicit, filter, decoded))?.objects();
}

/**
 * `filterRecordView`'s objects as the view's entries picked, not decoded, where the view can
 * (`RecordView.pickEntries`): a pack cut out of a cached full pack needs only their raw ids.
 */
export async function pickRecordView(
  source: ObjectSource,
  view: RecordView,
  explicit: ReadonlySet<ObjectId>,
  filter: ObjectFilter,
): Promise<WalkList | undefined> {
  const entries = (keep: Keep) => {
    if (view.pickEntries) return view.pickEntries(keep);
    const picked = view.pick(keep);
    return picked && walkListOf(picked);
  };
  return filterView(source, view, explicit, filter, entries);
}

type Keep = Parameters<RecordView['pick']>[0];

/** The filter applied to the view; `pickList` makes the list of its last pass. */
async function filterView(
  source: ObjectSource,
  view: RecordView,
  explicit: ReadonlySet<ObjectId>,
  filter: ObjectFilter,
  pickList: (keep: Keep) => WalkList | undefined,
): Promise<WalkList | undefined> {
  const wanted = idTable(view.rawLength, explicit);
  const isExplicit = (data: Uint8Array, offset: number) => wanted.find(data, offset) >= 0;
  if (filter.kind === 'blob:limit') {
    // The blobs whose recorded size class does not tell (none in a walk recorded with classes
    // at a power-of-two limit): their sizes by row key (no id decoded), those without one by id.
    const { limit } = filter;
    // What each class tells at this limit, asked once (the passes see ~150k blobs).
    const told = Array.from({ length: SIZE_CLASSES }, (_, sizeClass) =>
      view.sizeClassAtLeast(sizeClass, limit),
    );
    const rows: number[] = [];
    const unkeyed = view.pick((type, data, offset, row, sizeClass) => {
      if (type !== 'blob' || told[sizeClass] !== undefined) return false;
      if (isExplicit(data, offset)) return false;
      if (row > 0) rows.push(row);
      return row === 0;
    });
    if (!unkeyed) return undefined;
    const largeRows = rows.length > 0 ? await view.rowsSizedAtLeast(rows, limit) : new Set<number>();
    const largeUnkeyed = idTable(view.rawLength, await source.sizesAtLeast(unkeyed, limit));
    return pickList((type, data, offset, row, sizeClass) => {
      if (type !== 'blob') return true;
      const large = told[sizeClass];
      if (large === false) return true;
      if (isExplicit(data, offset)) return true;
      if (large === true) return false;
      return row > 0 ? !largeRows.has(row) : largeUnkeyed.find(data, offset) < 0;
    });
  }
  if (filter.kind === 'blob:none') {
    return pickList((type, data, offset) => type !== 'blob' || isExplicit(data, offset));
  }
  // One pass for the commits and the wanted trees and blobs (a tag peeling to one), so the last
  // pass looks trees and blobs up in one table.
  const firstPass = view.pick(
    (type, data, offset) => type === 'commit' || (type !== 'tag' && isExplicit(data, offset)),
  );
  if (!firstPass) return undefined;
  const commits = firstPass.filter((object) => object.type === 'commit').map((object) => object.id);
  const explicitTrees = firstPass.filter((object) => object.type === 'tree').map((object) => object.id);
  const shallow = await shallowerThan(source, commits, explicitTrees, filter.depth);
  if (!shallow) return undefined;
  for (const object of firstPass) if (object.type !== 'commit') shallow.add(object.id);
  const kept = idTable(view.rawLength, shallow);
  return pickList(
    (type, data, offset) => type === 'commit' || type === 'tag' || kept.find(data, offset) >= 0,
  );
}

/** Size classes a record's entry can carry (five bits). */
const SIZE_CLASSES = 32;

/** `ids` of the walk's id format in a table looked up by raw bytes (others cannot be in it). */
function idTable(rawLength: number, ids: Iterable<ObjectId>): RawIdTable {
  const table = new RawIdTable(rawLength);
  const format = rawLength === SHA256.rawLength ? SHA256 : SHA1;
  for (const id of ids) {
    if (id.length === format.hexLength) table.slot(Buffer.from(id, 'hex'), 0);
  }
  return table;
}
