import { invalid, tooLarge } from '../platform/errors.js';
import { applyDelta, deltaSizes } from './delta.js';
import { Inflater } from './inflater.js';
import { hashObject } from './object.js';
import { objectFormatByName } from './object-format.js';
import { objectTypeOfCode } from './pack-format.js';

/**
 * One unit of parallel delta resolution: a few delta trees (a whole object and every delta that
 * builds on it by offset, or by its id), with the bytes they need packed into one transferable
 * buffer. Nodes are listed parents first; `parents[i]` is -1 for a tree's root.
 */
export interface ResolveJob {
  readonly format: 'sha1' | 'sha256';
  readonly maxObjectSize: number;
  /** Largest commit, tree or tag a delta may build (see PackReaderLimits). */
  readonly maxNonBlobSize: number;
  readonly maxDeltaDepth: number;
  /** Return every resolved delta's content (the caller has an `onObject`). */
  readonly wantData: boolean;
  /** With `wantData`, give up (`tooBig`) once the job's content would pass this many bytes. */
  readonly maxResultBytes: number;
  readonly parents: Int32Array;
  /** Object type code for roots; 0 for deltas. */
  readonly types: Uint8Array;
  /** Whether a node's bytes are a zlib stream (inflating to `sizes[i]`) or already plain. */
  readonly zlib: Uint8Array;
  readonly sizes: Float64Array;
  readonly starts: Float64Array;
  readonly lengths: Float64Array;
  /** Pack offsets, for error details. */
  readonly offsets: Float64Array;
  readonly bytes: ArrayBuffer;
}

/** Resolved deltas of a job, in resolution order (every base before the deltas on it). */
export interface ResolveJobResult {
  /** True when the content passed `maxResultBytes`: nothing is returned, resolve it elsewhere. */
  readonly tooBig: boolean;
  readonly nodes: Int32Array;
  /** Hex ids, concatenated. */
  readonly ids: string;
  readonly sizes: Float64Array;
  /**
   * With `wantData`: content of result i is `arenas[arenaOf[i]]` at `dataStarts[i]`, `sizes[i]`
   * bytes (empty when `arenaOf[i]` is -1).
   */
  readonly arenaOf: Int32Array;
  readonly dataStarts: Float64Array;
  readonly arenas: ArrayBuffer[];
}

/** Size of the buffers resolved contents are written into; bigger results get their own. */
const ARENA_BYTES = 4 << 20;

/** Collects resolved contents into a few big buffers, so they can be transferred, not copied. */
class Arenas {
  readonly buffers: ArrayBuffer[] = [];
  private current: Buffer = Buffer.alloc(0);
  private used = 0;
  total = 0;

  /** A slot of `size` bytes; returns the buffer to write into and where it sits. */
  slot(size: number): { into: Buffer; arena: number; start: number } {
    if (size === 0) return { into: Buffer.alloc(0), arena: -1, start: 0 };
    this.total += size;
    if (size > ARENA_BYTES / 2) {
      const own = Buffer.allocUnsafeSlow(size);
      this.buffers.push(own.buffer as ArrayBuffer);
      return { into: own, arena: this.buffers.length - 1, start: 0 };
    }
    if (this.used + size > this.current.length) {
      this.current = Buffer.allocUnsafeSlow(ARENA_BYTES);
      this.buffers.push(this.current.buffer as ArrayBuffer);
      this.used = 0;
    }
    const start = this.used;
    this.used += size;
    return { into: this.current.subarray(start, start + size), arena: this.buffers.length - 1, start };
  }
}

/**
 * Resolves every delta of `job`: inflates each root and delta, applies the deltas depth-first
 * and hashes the results. Throws the same `MegaError`s as the single-threaded resolver.
 */
export function runResolveJob(job: ResolveJob, inflater: Inflater = new Inflater()): ResolveJobResult {
  const format = objectFormatByName(job.format)!;
  const count = job.parents.length;
  const bytes = Buffer.from(job.bytes);
  const children: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < count; i++) if (job.parents[i]! >= 0) children[job.parents[i]!]!.push(i);

  const decode = (node: number): Buffer => {
    const start = job.starts[node]!;
    const slice = bytes.subarray(start, start + job.lengths[node]!);
    if (!job.zlib[node]) return slice;
    // The slice holds one byte past the stream, so the inflater sees where the stream ends.
    inflater.begin(job.sizes[node]!);
    if (!inflater.push(slice, 0, slice.length).done) {
      throw invalid('pack_bad_zlib', 'pack entry changed while it was indexed', {
        offset: job.offsets[node],
      });
    }
    return inflater.output();
  };

  const nodes: number[] = [];
  const ids: string[] = [];
  const sizes: number[] = [];
  const arenaOf: number[] = [];
  const dataStarts: number[] = [];
  const arenas = new Arenas();
  let scratch = Buffer.allocUnsafe(64 * 1024);

  for (let root = 0; root < count; root++) {
    if (job.parents[root]! >= 0) continue;
    const type = objectTypeOfCode(job.types[root]!)!;
    const maxSize = type === 'blob' ? job.maxObjectSize : Math.min(job.maxObjectSize, job.maxNonBlobSize);
    const stack: { node: number; base: Buffer; depth: number }[] = [];
    const rootContent = decode(root);
    for (const child of children[root]!) stack.push({ node: child, base: rootContent, depth: 1 });
    while (stack.length > 0) {
      const { node, base, depth } = stack.pop()!;
      if (depth > job.maxDeltaDepth) {
        throw tooLarge('pack_delta_chain_too_deep', 'delta chain is longer than allowed', {
          offset: job.offsets[node],
          limit: job.maxDeltaDepth,
        });
      }
      const delta = decode(node);
      const { resultSize } = deltaSizes(delta);
      const hasChildren = children[node]!.length > 0;
      let data: Buffer;
      if (job.wantData) {
        if (arenas.total + resultSize > job.maxResultBytes) return tooBigResult();
        const slot = resultSize <= maxSize ? arenas.slot(resultSize) : undefined;
        data = applyDelta(base, delta, maxSize, slot?.into);
        arenaOf.push(slot?.arena ?? -1);
        dataStarts.push(slot?.start ?? 0);
      } else if (hasChildren) {
        data = applyDelta(base, delta, maxSize);
      } else {
        if (resultSize <= maxSize && scratch.length < resultSize)
          scratch = Buffer.allocUnsafe(Math.max(resultSize, scratch.length * 2));
        data = applyDelta(base, delta, maxSize, scratch);
      }
      nodes.push(node);
      ids.push(hashObject(type, data, format));
      sizes.push(data.length);
      for (const child of children[node]!) stack.push({ node: child, base: data, depth: depth + 1 });
    }
  }
  return {
    tooBig: false,
    nodes: Int32Array.from(nodes),
    ids: ids.join(''),
    sizes: Float64Array.from(sizes),
    arenaOf: Int32Array.from(arenaOf),
    dataStarts: Float64Array.from(dataStarts),
    arenas: arenas.buffers,
  };
}

function tooBigResult(): ResolveJobResult {
  return {
    tooBig: true,
    nodes: new Int32Array(0),
    ids: '',
    sizes: new Float64Array(0),
    arenaOf: new Int32Array(0),
    dataStarts: new Float64Array(0),
    arenas: [],
  };
}
