import { invalid, tooLarge } from '../platform/errors.js';
import type { BaseCache } from './base-cache.js';
import { applyDelta, deltaSizes } from './delta.js';
import { Inflater } from './inflater.js';
import { hashObject, type ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import type { ObjectId } from './object-id.js';
import type { ScannedEntry } from './pack-scanner.js';
import type { PackSpool } from './pack-spool.js';
import type { ExternalBase, PackedObject, PackedContent, PackReaderLimits } from './pack-types.js';

export interface DeltaResolverDeps {
  readonly entries: ScannedEntry[];
  readonly ids: (ObjectId | undefined)[];
  readonly results: (PackedObject | undefined)[];
  readonly spool: PackSpool;
  readonly format: ObjectFormat;
  readonly limits: PackReaderLimits;
  readonly baseCache: BaseCache<number>;
  readonly resolveExternalBase?: (id: ObjectId) => Promise<ExternalBase | undefined>;
  readonly onObject?: (object: PackedObject, content: PackedContent) => void | Promise<void>;
  readonly forceInflateFallback: boolean;
}

/** External bases are addressed with negative indexes so one cache serves both. */
const EXTERNAL = -1;
/** Results larger than this get their own buffer instead of growing the reusable one. */
const MAX_SCRATCH = 16 << 20;

/**
 * Second pass of indexing: walks from every whole object to the deltas based on it (OFS children
 * by entry, REF children by id), applying deltas depth-first like index-pack's resolve_deltas.
 * A base that fell out of the cache is rebuilt from the spool along its chain.
 */
export class DeltaResolver {
  private readonly ofsChildren = new Map<number, number[]>();
  private readonly refChildren = new Map<string, number[]>();
  private readonly inflater: Inflater;
  private readonly externals: ExternalBase[] = [];
  private readonly externalIds: ObjectId[] = [];
  private unresolved = 0;
  /** Reused output for deltas that are only hashed. */
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly deps: DeltaResolverDeps) {
    this.inflater = new Inflater({ forceFallback: deps.forceInflateFallback });
    for (const [index, entry] of deps.entries.entries()) {
      if (entry.baseIndex >= 0) push(this.ofsChildren, entry.baseIndex, index);
      else if (entry.baseId !== undefined) push(this.refChildren, entry.baseId, index);
      else continue;
      this.unresolved++;
    }
  }

  /** Resolves every delta; returns the ids of bases fetched from outside the pack. */
  async resolveAll(): Promise<ObjectId[]> {
    const { entries, results } = this.deps;
    // Roots are whole objects, and (after a parallel pass) resolved deltas whose REF children
    // could not be known before their id was.
    for (let index = 0; index < entries.length && this.unresolved > 0; index++) {
      const object = results[index];
      if (object) await this.resolveChildren(index, object);
    }
    for (const [baseId, children] of this.refChildren) {
      if (this.unresolved === 0) break;
      if (children.every((child) => this.deps.results[child] !== undefined)) continue;
      await this.resolveExternal(baseId as ObjectId);
    }
    if (this.unresolved > 0) {
      throw invalid('pack_unresolved_deltas', 'pack has deltas whose bases form a cycle or are missing', {
        count: this.unresolved,
      });
    }
    return this.externalIds;
  }

  private async resolveExternal(baseId: ObjectId): Promise<void> {
    const base = this.deps.resolveExternalBase ? await this.deps.resolveExternalBase(baseId) : undefined;
    if (!base) throw invalid('pack_missing_base', 'delta base is neither in the pack nor known', { baseId });
    const index = EXTERNAL - this.externals.length;
    this.externals.push(base);
    this.externalIds.push(baseId);
    await this.resolveChildren(index, { id: baseId, type: base.type, depth: 0 });
  }

  /** Depth-first over the delta tree below `rootIndex`, with an explicit stack. */
  private async resolveChildren(
    rootIndex: number,
    root: { id: ObjectId; type: ObjectType; depth: number },
  ): Promise<void> {
    // Each pending child carries its base's content, so a chain never depends on the cache.
    const stack: number[] = [];
    const bases: Buffer[] = [];
    if (!this.hasChildren(rootIndex, root.id)) return;
    this.pushChildren(stack, bases, rootIndex, root.id, await this.contentOf(rootIndex));
    while (stack.length > 0) {
      const index = stack.pop()!;
      const baseContent = bases.pop()!;
      const entry = this.deps.entries[index]!;
      const baseIndex = entry.baseIndex >= 0 ? entry.baseIndex : this.baseIndexOf(entry, rootIndex);
      const base = this.objectAt(baseIndex);
      if (base.depth + 1 > this.deps.limits.maxDeltaDepth) {
        throw tooLarge('pack_delta_chain_too_deep', 'delta chain is longer than allowed', {
          offset: entry.offset,
          limit: this.deps.limits.maxDeltaDepth,
        });
      }
      // A delta nobody builds on by offset is only hashed: apply it into the reusable buffer.
      const data = await this.rebuild(index, baseContent, !this.ofsChildren.has(index));
      const object: PackedObject = {
        id: hashObject(base.type, data, this.deps.format),
        type: base.type,
        size: data.length,
        offset: entry.offset,
        crc32: entry.crc32,
        headerLength: entry.headerLength,
        compressedLength: entry.compressedLength,
        deltaBase: base.id,
        deltaSize: entry.declaredSize,
        depth: base.depth + 1,
      };
      this.deps.results[index] = object;
      this.deps.ids[index] = object.id;
      this.unresolved--;
      if (this.hasChildren(index, object.id)) {
        const kept = this.isScratch(data) ? Buffer.from(data) : data;
        this.deps.baseCache.set(index, kept);
        this.pushChildren(stack, bases, index, object.id, kept);
      }
      if (this.deps.onObject) {
        const raw = await this.deps.spool.read(entry.offset + entry.headerLength, entry.compressedLength);
        const done = this.deps.onObject(object, { data, raw });
        if (done instanceof Promise) await done;
      }
    }
  }

  /** For a REF child, the base is the entry whose id it names: the root or a resolved delta. */
  private baseIndexOf(entry: ScannedEntry, rootIndex: number): number {
    const owner = this.refOwner.get(entry.baseId!);
    return owner ?? rootIndex;
  }

  private readonly refOwner = new Map<string, number>();

  /** Entries based on this one by offset (in pack order). */
  ofsChildrenOf(index: number): readonly number[] {
    return this.ofsChildren.get(index) ?? [];
  }

  /**
   * REF_DELTA entries naming `id`, claimed for the object at `index` (the first to claim an id
   * owns its REF children); empty when another object claimed them.
   */
  claimRefChildren(index: number, id: ObjectId): readonly number[] {
    const ref = this.refChildren.get(id);
    if (!ref) return [];
    const owner = this.refOwner.get(id);
    if (owner !== undefined && owner !== index) return [];
    this.refOwner.set(id, index);
    return ref;
  }

  /** Records a delta resolved elsewhere (by a worker thread). */
  record(index: number, object: PackedObject): void {
    this.deps.results[index] = object;
    this.deps.ids[index] = object.id;
    this.unresolved--;
  }

  /** Resolves, on this thread, every delta still pending below the object at `index`. */
  resolveTree(index: number): Promise<void> {
    return this.resolveChildren(index, this.deps.results[index]!);
  }

  /** Number of deltas not resolved yet. */
  get pending(): number {
    return this.unresolved;
  }

  private hasChildren(index: number, id: ObjectId): boolean {
    const unresolved = (child: number) => this.deps.results[child] === undefined;
    if (index >= 0 && this.ofsChildren.get(index)?.some(unresolved)) return true;
    const owner = this.refOwner.get(id);
    return (owner === undefined || owner === index) && (this.refChildren.get(id)?.some(unresolved) ?? false);
  }

  private pushChildren(stack: number[], bases: Buffer[], index: number, id: ObjectId, content: Buffer): void {
    const ofs = index >= 0 ? this.ofsChildren.get(index) : undefined;
    for (const child of [...(ofs ?? []), ...this.claimRefChildren(index, id)]) {
      if (this.deps.results[child] !== undefined) continue;
      stack.push(child);
      bases.push(content);
    }
  }

  private objectAt(index: number): { id: ObjectId; type: ObjectType; depth: number } {
    if (index < 0) {
      const base = this.externals[EXTERNAL - index]!;
      return { id: this.externalIds[EXTERNAL - index]!, type: base.type, depth: 0 };
    }
    return this.deps.results[index]!;
  }

  /** Inflated content of a resolved or whole entry, from the cache or rebuilt from the spool. */
  private async contentOf(index: number): Promise<Buffer> {
    // Walk up to the nearest cached, whole or external object, then apply deltas back down:
    // a loop, not recursion, so evicted bases of very deep chains cannot overflow the stack.
    const path: number[] = [];
    let content: Buffer | undefined;
    for (let at = index; content === undefined;) {
      if (at < 0) {
        content = this.externals[EXTERNAL - at]!.data;
        break;
      }
      content = this.deps.baseCache.get(at);
      if (content) break;
      const object = this.deps.results[at]!;
      if (object.depth === 0) {
        content = await this.reinflate(this.deps.entries[at]!, object.size);
        this.deps.baseCache.set(at, content);
        break;
      }
      path.push(at);
      const entry = this.deps.entries[at]!;
      at = entry.baseIndex >= 0 ? entry.baseIndex : this.indexOfId(object.deltaBase!);
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const at = path[i]!;
      const entry = this.deps.entries[at]!;
      const delta = entry.inflated ?? (await this.reinflate(entry, entry.declaredSize));
      content = applyDelta(content, delta, this.deps.limits.maxObjectSize);
      this.deps.baseCache.set(at, content);
    }
    return content;
  }

  private indexOfId(id: ObjectId): number {
    const owner = this.refOwner.get(id);
    if (owner !== undefined) return owner;
    const external = this.externalIds.indexOf(id);
    return EXTERNAL - external;
  }

  /** Applies entry `index`'s delta to its base's content (into the scratch buffer if asked). */
  private async rebuild(index: number, base: Buffer, useScratch = false): Promise<Buffer> {
    const entry = this.deps.entries[index]!;
    const delta = entry.inflated ?? (await this.reinflate(entry, entry.declaredSize));
    entry.inflated = undefined;
    if (!useScratch) return applyDelta(base, delta, this.deps.limits.maxObjectSize);
    const { resultSize } = deltaSizes(delta);
    if (resultSize <= MAX_SCRATCH && this.scratch.length < resultSize) {
      this.scratch = Buffer.allocUnsafe(Math.max(resultSize, this.scratch.length * 2));
    }
    return applyDelta(base, delta, this.deps.limits.maxObjectSize, this.scratch);
  }

  private isScratch(data: Buffer): boolean {
    return data.buffer === this.scratch.buffer && data.byteOffset === this.scratch.byteOffset;
  }

  private async reinflate(entry: ScannedEntry, size: number): Promise<Buffer> {
    // One byte past the stream tells the inflater the stream ended where the scan said it did.
    const start = entry.offset + entry.headerLength;
    const raw = await this.deps.spool.read(start, entry.compressedLength + 1);
    this.inflater.begin(size);
    const result = this.inflater.push(raw, 0, raw.length);
    if (!result.done)
      throw invalid('pack_bad_zlib', 'pack entry changed while it was indexed', { offset: entry.offset });
    return this.inflater.output();
  }
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
