import { invalid, tooLarge } from '../platform/errors.js';
import type { BaseCache } from './base-cache.js';
import { applyDelta, deltaSizes } from './delta.js';
import { Inflater } from './inflater.js';
import { hashObject } from './object.js';
import type { ObjectFormat } from './object-format.js';
import type { ObjectId } from './object-id.js';
import { EXTERNAL_BASE, type PackEntries } from './pack-entries.js';
import { KeptBases } from './kept-bases.js';
import type { PackSpool } from './pack-spool.js';
import { reportDelta } from './resolved-delta.js';
import {
  objectSizeLimit,
  type ExternalBase,
  type PackedObject,
  type PackedContent,
  type PackReaderLimits,
} from './pack-types.js';

export interface DeltaResolverDeps {
  readonly entries: PackEntries;
  readonly spool: PackSpool;
  readonly format: ObjectFormat;
  readonly limits: PackReaderLimits;
  readonly baseCache: BaseCache<number>;
  readonly resolveExternalBase?: (id: ObjectId) => Promise<ExternalBase | undefined>;
  readonly onObject?: (object: PackedObject, content: PackedContent) => void | Promise<void>;
  readonly forceInflateFallback: boolean;
}

/** Results larger than this get their own buffer instead of growing the reusable one. */
const MAX_SCRATCH = 16 << 20;

/**
 * Second pass of indexing: walks from every whole object to the deltas based on it (OFS children
 * by entry, REF children by id), applying deltas depth-first like index-pack's resolve_deltas.
 * A base that fell out of the cache is rebuilt from the spool along its chain.
 */
export class DeltaResolver {
  /**
   * OFS children of entry i: `ofsChildList[ofsChildStart[i] .. ofsChildStart[i + 1]]`, in pack
   * order. Two typed arrays, not a list per base: read for every resolved delta, and no garbage.
   */
  private readonly ofsChildStart: Int32Array;
  private readonly ofsChildList: Int32Array;
  /** REF_DELTA entries by the base id they name, with the object that claimed them. */
  private readonly refGroups = new Map<ObjectId, RefGroup>();
  private readonly inflater: Inflater;
  /** Contents of the bases from outside the pack, by `EXTERNAL_BASE - index`. */
  private readonly externals: Buffer[] = [];
  private unresolved = 0;
  /** Reused output for deltas that are only hashed. */
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** The stored bytes the last `reinflate` read (the entry's zlib stream and one byte more). */
  private lastRaw: Buffer | undefined;
  /** Copies of scratch results that children are based on. */
  private readonly kept = new KeptBases();

  constructor(private readonly deps: DeltaResolverDeps) {
    this.inflater = new Inflater({ forceFallback: deps.forceInflateFallback });
    const { entries } = deps;
    const count = entries.length;
    // Children counted per base, then placed: a counting sort keeps each base's children in pack order.
    this.ofsChildStart = new Int32Array(count + 1);
    for (let index = 0; index < count; index++) {
      const baseIndex = entries.baseIndex[index]!;
      if (baseIndex >= 0) this.ofsChildStart[baseIndex + 1]!++;
    }
    for (let index = 0; index < count; index++) this.ofsChildStart[index + 1]! += this.ofsChildStart[index]!;
    this.ofsChildList = new Int32Array(this.ofsChildStart[count]!);
    const fill = this.ofsChildStart.slice(0, count);
    for (let index = 0; index < count; index++) {
      const baseIndex = entries.baseIndex[index]!;
      // Only the REF_DELTAs the scan left have a base id here (`PackEntries.refBaseIds`).
      const baseId = baseIndex < 0 ? entries.refBaseIds.get(index) : undefined;
      if (baseIndex >= 0) {
        this.ofsChildList[fill[baseIndex]!++] = index;
      } else if (baseId !== undefined) {
        const group = this.refGroups.get(baseId);
        if (group) group.children.push(index);
        else this.refGroups.set(baseId, { children: [index], owner: undefined });
      } else continue;
      // Deltas the reader resolved while scanning (`RecentContents`) are only listed.
      if (!entries.isResolved(index)) this.unresolved++;
    }
  }

  /** Resolves every delta; returns the ids of bases fetched from outside the pack. */
  async resolveAll(): Promise<readonly ObjectId[]> {
    const { entries } = this.deps;
    // Roots are whole objects, and (after a parallel pass) resolved deltas whose REF children
    // could not be known before their id was.
    for (let index = 0; index < entries.length && this.unresolved > 0; index++) {
      if (entries.isResolved(index)) await this.resolveChildren(index);
    }
    for (const [baseId, group] of this.refGroups) {
      if (this.unresolved === 0) break;
      if (!this.anyUnresolved(group.children)) continue;
      await this.resolveExternal(baseId);
    }
    if (this.unresolved > 0) {
      throw invalid('pack_unresolved_deltas', 'pack has deltas whose bases form a cycle or are missing', {
        count: this.unresolved,
      });
    }
    return entries.externals;
  }

  private async resolveExternal(baseId: ObjectId): Promise<void> {
    const base = this.deps.resolveExternalBase ? await this.deps.resolveExternalBase(baseId) : undefined;
    if (!base) throw invalid('pack_missing_base', 'delta base is neither in the pack nor known', { baseId });
    const index = this.deps.entries.addExternal(baseId, base.type);
    this.externals.push(base.data);
    await this.resolveChildren(index);
  }

  /** Depth-first over the delta tree below `rootIndex`, with an explicit stack. */
  private async resolveChildren(rootIndex: number): Promise<void> {
    const { entries } = this.deps;
    // Each pending child carries its base (index, id and content), so a chain never depends on
    // the cache, a REF child needs no lookup of the id it names, and no base id is made twice.
    const pending: PendingStack = { children: [], parents: [], bases: [], baseIds: [] };
    const { children: stack, parents, bases, baseIds } = pending;
    const rootChildren = this.pendingChildren(rootIndex);
    if (!rootChildren) return;
    const rootId = entries.idOf(rootIndex);
    this.pushChildren(pending, rootIndex, rootId, rootChildren, await this.contentOf(rootIndex));
    while (stack.length > 0) {
      const index = stack.pop()!;
      const baseIndex = parents.pop()!;
      const baseContent = bases.pop()!;
      const baseId = baseIds.pop()!;
      const baseType = entries.typeOf(baseIndex);
      if (entries.depthOf(baseIndex) + 1 > this.deps.limits.maxDeltaDepth) {
        throw tooLarge('pack_delta_chain_too_deep', 'delta chain is longer than allowed', {
          offset: entries.offset[index]!,
          limit: this.deps.limits.maxDeltaDepth,
        });
      }
      // A delta nobody builds on by offset is only hashed: apply it into the reusable buffer.
      let delta = entries.inflated.get(index);
      let raw: Buffer | undefined;
      if (delta) entries.inflated.delete(index);
      else {
        delta = await this.reinflate(index, entries.declaredSizeOf(index));
        raw = this.lastRaw;
      }
      const limit = objectSizeLimit(this.deps.limits, baseType);
      const data = this.apply(baseContent, delta, limit, !this.hasOfsChildren(index));
      // Siblings share one content and sit together on the stack: the last one just used it.
      if (bases.length === 0 || bases[bases.length - 1] !== baseContent) this.kept.release(baseContent);
      const id = hashObject(baseType, data, this.deps.format);
      entries.resolveDelta(index, baseIndex, id, data.length);
      this.unresolved--;
      const children = this.pendingChildren(index, id);
      if (children) {
        // Not cached: every child that needs this content is pushed with it now, and no later
        // root walks a chain through a delta resolved here (its children are all resolved).
        const kept = this.isScratch(data) ? this.kept.keep(data) : data;
        this.pushChildren(pending, index, id, children, kept);
      }
      if (this.deps.onObject) {
        const object = entries.objectAt(index, id, baseId);
        // The stream just re-inflated is the one to report: not read from the spool a second time.
        const done = raw
          ? this.deps.onObject(object, { data, raw: raw.subarray(0, object.compressedLength) })
          : reportDelta(this.deps.spool, this.deps.onObject, object, data);
        if (done instanceof Promise) await done;
      }
    }
  }

  /** Entries based on this one by offset (in pack order). */
  ofsChildrenOf(index: number): Int32Array {
    return this.ofsChildList.subarray(this.ofsChildStart[index]!, this.ofsChildStart[index + 1]!);
  }

  private hasOfsChildren(index: number): boolean {
    return this.ofsChildStart[index + 1]! > this.ofsChildStart[index]!;
  }

  /**
   * REF_DELTA entries naming `id`, claimed for the object at `index` (the first to claim an id
   * owns its REF children); empty when another object claimed them.
   */
  claimRefChildren(index: number): readonly number[] {
    if (this.refGroups.size === 0) return NO_CHILDREN;
    const group = this.refGroups.get(this.deps.entries.idOf(index));
    if (!group || (group.owner !== undefined && group.owner !== index)) return NO_CHILDREN;
    group.owner = index;
    return group.children;
  }

  /** Records a delta resolved elsewhere (by a worker thread) on the entry `base`. */
  record(index: number, base: number, id: ObjectId, size: number): void {
    this.deps.entries.resolveDelta(index, base, id, size);
    this.unresolved--;
  }

  /** Resolves, on this thread, every delta still pending below the object at `index`. */
  resolveTree(index: number): Promise<void> {
    return this.resolveChildren(index);
  }

  /** Number of deltas not resolved yet. */
  get pending(): number {
    return this.unresolved;
  }

  /**
   * The children still to resolve below the object at `index` (OFS ones by entry, REF ones by its
   * id unless another object claimed that id), or undefined when there are none.
   */
  private pendingChildren(index: number, id?: ObjectId): PendingChildren | undefined {
    const ofsStart = index >= 0 ? this.ofsChildStart[index]! : 0;
    const ofsEnd = index >= 0 ? this.ofsChildStart[index + 1]! : 0;
    let ref = this.refGroups.size > 0 ? this.refGroups.get(id ?? this.deps.entries.idOf(index)) : undefined;
    if (ref && ref.owner !== undefined && ref.owner !== index) ref = undefined;
    if (!this.anyUnresolved(this.ofsChildList, ofsStart, ofsEnd) && !this.anyUnresolved(ref?.children))
      return undefined;
    return { ofsStart, ofsEnd, ref };
  }

  private anyUnresolved(
    children: ArrayLike<number> | undefined,
    start = 0,
    end = children?.length ?? 0,
  ): boolean {
    if (children === undefined) return false;
    for (let at = start; at < end; at++) if (!this.deps.entries.isResolved(children[at]!)) return true;
    return false;
  }

  /** Pushes the pending children (OFS first, then REF, claiming those for `index`). */
  private pushChildren(
    pending: PendingStack,
    index: number,
    id: ObjectId,
    children: PendingChildren,
    content: Buffer,
  ): void {
    const { entries } = this.deps;
    for (let at = children.ofsStart; at < children.ofsEnd; at++) {
      const child = this.ofsChildList[at]!;
      if (!entries.isResolved(child)) pushChild(pending, child, index, id, content);
    }
    if (!children.ref) return;
    children.ref.owner = index;
    for (const child of children.ref.children) {
      if (!entries.isResolved(child)) pushChild(pending, child, index, id, content);
    }
  }

  /** Inflated content of a resolved or whole entry, from the cache or rebuilt from the spool. */
  private async contentOf(index: number): Promise<Buffer> {
    // Walk up to the nearest cached, whole or external object, then apply deltas back down:
    // a loop, not recursion, so evicted bases of very deep chains cannot overflow the stack.
    const { entries } = this.deps;
    const path: number[] = [];
    let content: Buffer | undefined;
    for (let at = index; content === undefined;) {
      if (at < 0) {
        content = this.externals[EXTERNAL_BASE - at]!;
        break;
      }
      content = this.deps.baseCache.get(at);
      if (content) break;
      if (entries.depth[at] === 0) {
        content = await this.reinflate(at, entries.sizeOf(at));
        this.deps.baseCache.set(at, content);
        break;
      }
      path.push(at);
      at = entries.deltaBase[at]!;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const at = path[i]!;
      const delta = entries.inflated.get(at) ?? (await this.reinflate(at, entries.declaredSizeOf(at)));
      content = applyDelta(content, delta, this.deps.limits.maxObjectSize);
      this.deps.baseCache.set(at, content);
    }
    return content;
  }

  /** Applies a delta to its base's content (into the scratch buffer if asked). */
  private apply(base: Buffer, delta: Buffer, limit: number, useScratch: boolean): Buffer {
    if (!useScratch) return applyDelta(base, delta, limit);
    const { resultSize } = deltaSizes(delta);
    if (resultSize <= MAX_SCRATCH && this.scratch.length < resultSize) {
      this.scratch = Buffer.allocUnsafe(Math.max(resultSize, this.scratch.length * 2));
    }
    return applyDelta(base, delta, limit, this.scratch);
  }

  private isScratch(data: Buffer): boolean {
    return data.buffer === this.scratch.buffer && data.byteOffset === this.scratch.byteOffset;
  }

  private async reinflate(index: number, size: number): Promise<Buffer> {
    const { entries } = this.deps;
    // One byte past the stream tells the inflater the stream ended where the scan said it did.
    const raw = await this.deps.spool.read(entries.dataStart(index), entries.compressedLengthOf(index) + 1);
    this.lastRaw = raw;
    this.inflater.begin(size);
    const result = this.inflater.push(raw, 0, raw.length);
    if (!result.done)
      throw invalid('pack_bad_zlib', 'pack entry changed while it was indexed', {
        offset: entries.offset[index]!,
      });
    return this.inflater.output();
  }
}

const NO_CHILDREN: readonly number[] = [];

interface RefGroup {
  readonly children: number[];
  /** The object whose id it is (the first one resolved with that id); undefined until claimed. */
  owner: number | undefined;
}

/** Deltas waiting to be resolved, each with its base's index, id and content. */
interface PendingStack {
  readonly children: number[];
  readonly parents: number[];
  readonly bases: Buffer[];
  readonly baseIds: ObjectId[];
}

function pushChild(
  pending: PendingStack,
  child: number,
  base: number,
  baseId: ObjectId,
  content: Buffer,
): void {
  pending.children.push(child);
  pending.parents.push(base);
  pending.bases.push(content);
  pending.baseIds.push(baseId);
}

interface PendingChildren {
  /** The range of `ofsChildList` holding the OFS children. */
  readonly ofsStart: number;
  readonly ofsEnd: number;
  readonly ref: RefGroup | undefined;
}
