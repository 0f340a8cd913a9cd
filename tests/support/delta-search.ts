import { DeltaIndex, createDelta } from './delta-encoder.js';
import type { ObjectType } from '../../src/git/object.js';
import { codeOfObjectType } from '../../src/git/pack-format.js';

/**
 * The delta search of `git pack-objects` (builtin/pack-objects.c find_deltas/try_delta): objects
 * sorted by type, name hash and decreasing size; each is diffed against the previous `window`
 * objects of its type and keeps the smallest delta that beats git's size limits, with chains no
 * deeper than `depth`.
 */
export interface DeltaCandidate {
  readonly type: ObjectType;
  readonly data: Buffer;
  readonly nameHash: number;
}

export interface DeltaChoice {
  /** Index (into the candidates) of the base. */
  readonly base: number;
  readonly delta: Buffer;
  readonly depth: number;
}

export interface DeltaSearchOptions {
  readonly window: number;
  readonly depth: number;
  /** Objects larger than this are never diffed (git's core.bigFileThreshold). */
  readonly maxObjectSize: number;
  /** Bytes of the object id; deltas must save more than this to be worth it. */
  readonly idLength: number;
}

/** git's pack_name_hash: the last characters of a path weigh most, so same-named files group. */
export function packNameHash(path: string | undefined): number {
  if (!path) return 0;
  let hash = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) continue;
    hash = ((hash >>> 2) + ((c & 0xff) << 24)) >>> 0;
  }
  return hash;
}

interface WindowSlot {
  readonly candidate: number;
  index: DeltaIndex | undefined;
}

export function findDeltas(
  candidates: readonly DeltaCandidate[],
  options: DeltaSearchOptions,
): (DeltaChoice | undefined)[] {
  const count = candidates.length;
  const typeCode = new Uint8Array(count);
  const nameHash = new Uint32Array(count);
  const size = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const candidate = candidates[i]!;
    typeCode[i] = codeOfObjectType(candidate.type);
    nameHash[i] = candidate.nameHash;
    size[i] = candidate.data.length;
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort(
    (a, b) => typeCode[b]! - typeCode[a]! || nameHash[b]! - nameHash[a]! || size[b]! - size[a]! || b - a,
  );
  const choices: (DeltaChoice | undefined)[] = new Array<DeltaChoice | undefined>(candidates.length);
  const depths = new Uint16Array(candidates.length);
  const window: WindowSlot[] = [];
  // Index tables of evicted window slots, reused so the search does not churn the GC.
  const spareStores: Int32Array[] = [];
  let windowType: ObjectType | undefined;
  for (const target of order) {
    const trg = candidates[target]!;
    if (trg.type !== windowType) {
      window.length = 0;
      windowType = trg.type;
    }
    if (trg.data.length <= options.maxObjectSize) {
      const choice = bestDelta(trg, window, candidates, depths, options, spareStores);
      if (choice) {
        choices[target] = choice;
        depths[target] = choice.depth;
      }
      window.unshift({ candidate: target, index: undefined });
      if (window.length > options.window) {
        const evicted = window.pop()?.index;
        if (evicted && spareStores.length < options.window) spareStores.push(evicted.store);
      }
    }
  }
  return choices;
}

function bestDelta(
  trg: DeltaCandidate,
  window: WindowSlot[],
  candidates: readonly DeltaCandidate[],
  depths: Uint16Array,
  options: DeltaSearchOptions,
  spareStores: Int32Array[],
): DeltaChoice | undefined {
  const trgSize = trg.data.length;
  let best: DeltaChoice | undefined;
  for (const slot of window) {
    const srcDepth = depths[slot.candidate]!;
    if (srcDepth >= options.depth) continue;
    const srcSize = candidates[slot.candidate]!.data.length;
    let maxSize = best ? best.delta.length - 1 : Math.floor(trgSize / 2) - options.idLength;
    const refDepth = best ? best.depth : 1;
    maxSize = Math.floor((maxSize * (options.depth - srcDepth)) / (options.depth - refDepth + 1));
    if (maxSize <= 0) continue;
    if (srcSize < trgSize && trgSize - srcSize >= maxSize) continue;
    if (trgSize < srcSize / 32 || srcSize < 16) continue;
    slot.index ??= new DeltaIndex(candidates[slot.candidate]!.data, spareStores.pop());
    const delta = createDelta(slot.index, trg.data, maxSize);
    if (delta) best = { base: slot.candidate, delta, depth: srcDepth + 1 };
  }
  return best;
}
