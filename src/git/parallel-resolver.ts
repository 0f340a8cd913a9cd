import { isMegaError } from '../platform/errors.js';
import type { DeltaResolver } from './delta-resolver.js';
import type { ObjectFormat } from './object-format.js';
import { objectIdFromDigest } from './object-id.js';
import { codeOfObjectType } from './pack-format.js';
import type { PackEntries } from './pack-entries.js';
import type { PackSpool } from './pack-spool.js';
import type { PackedContent, PackedObject, PackReaderLimits } from './pack-types.js';
import type { ResolveJob, ResolveJobResult } from './resolve-job.js';
import type { ResolveWorkerPool } from './resolve-worker-pool.js';
import { reportDelta } from './resolved-delta.js';

export interface ParallelResolveDeps {
  readonly entries: PackEntries;
  readonly resolver: DeltaResolver;
  readonly pool: ResolveWorkerPool;
  /** This pack's claim on the pool (`acquire()`). */
  readonly owner: object;
  readonly spool: PackSpool;
  readonly format: ObjectFormat;
  readonly limits: PackReaderLimits;
  readonly onObject?: (object: PackedObject, content: PackedContent) => void | Promise<void>;
}

/** Trees are grouped into jobs of about this weight (input bytes plus expected content). */
const JOB_WEIGHT = 2 << 20;
/** A tree heavier than this is resolved on the main thread, with its bounded caches. */
const MAX_TREE_WEIGHT = 32 << 20;
/** With `onObject`, a job whose contents pass this many bytes is handed back to the main thread. */
const MAX_JOB_RESULT_BYTES = 32 << 20;

/** Delta trees resolved together: on a worker, or on the main thread when too heavy. */
interface Unit {
  readonly roots: number[];
  /** Entry indexes, parents first; `parents` are positions in this list (-1 for roots). */
  readonly nodes: number[];
  readonly parents: number[];
  readonly onMainThread: boolean;
}

interface Started {
  readonly unit: Unit;
  readonly result?: Promise<ResolveJobResult>;
}

/**
 * The parallel part of index-pack's second pass: every whole object with deltas on it roots a
 * tree (its OFS descendants and the REF deltas naming its id) that needs nothing else, so trees
 * are packed into jobs for worker threads. Results are handed to `onObject` on this thread in
 * pack order of the roots, each tree depth-first (bases before their deltas), as the
 * single-threaded resolver does. REF deltas on deltas (their base id is unknown until resolved)
 * are left to the single-threaded resolver afterwards.
 */
export async function resolveInParallel(deps: ParallelResolveDeps): Promise<void> {
  const inFlight: Started[] = [];
  const window = deps.pool.size * 2;
  const units = planUnits(deps);
  for (;;) {
    while (inFlight.length < window) {
      const next = units.next();
      if (next.done) break;
      inFlight.push(await start(deps, next.value));
    }
    const head = inFlight.shift();
    if (!head) return;
    const result = head.result ? await outcome(head.result) : undefined;
    if (result && !result.tooBig) await deliver(deps, head.unit, result);
    else for (const root of head.unit.roots) await deps.resolver.resolveTree(root);
  }
}

/** A job's result; undefined when its worker was lost (the unit is then resolved here). */
async function outcome(result: Promise<ResolveJobResult>): Promise<ResolveJobResult | undefined> {
  try {
    return await result;
  } catch (error) {
    if (isMegaError(error, 'internal', 'pack_worker_failed')) return undefined;
    throw error;
  }
}

function* planUnits(deps: ParallelResolveDeps): Generator<Unit> {
  const { entries } = deps;
  let batch: Unit = { roots: [], nodes: [], parents: [], onMainThread: false };
  let batchWeight = 0;
  for (let index = 0; index < entries.length; index++) {
    if (!entries.isResolved(index) || entries.depth[index] !== 0) continue;
    const tree = collectTree(deps, index);
    if (tree.nodes.length === 1) continue;
    const weight = treeWeight(deps, tree, entries.sizeOf(index));
    if (weight > MAX_TREE_WEIGHT) {
      yield { ...tree, roots: [index], onMainThread: true };
      continue;
    }
    const base = batch.nodes.length;
    batch.roots.push(index);
    for (let i = 0; i < tree.nodes.length; i++) {
      batch.nodes.push(tree.nodes[i]!);
      batch.parents.push(tree.parents[i]! < 0 ? -1 : tree.parents[i]! + base);
    }
    batchWeight += weight;
    if (batchWeight >= JOB_WEIGHT) {
      yield batch;
      batch = { roots: [], nodes: [], parents: [], onMainThread: false };
      batchWeight = 0;
    }
  }
  if (batch.nodes.length > 0) yield batch;
}

/** The root, its OFS descendants and the REF deltas naming its id, parents first. */
function collectTree(deps: ParallelResolveDeps, root: number): { nodes: number[]; parents: number[] } {
  const nodes = [root];
  const parents = [-1];
  for (const child of deps.resolver.claimRefChildren(root)) {
    nodes.push(child);
    parents.push(0);
  }
  for (let at = 0; at < nodes.length; at++) {
    for (const child of deps.resolver.ofsChildrenOf(nodes[at]!)) {
      nodes.push(child);
      parents.push(at);
    }
  }
  return { nodes, parents };
}

/**
 * Memory a tree costs: the bytes sent to the worker, the root's content, and (with `onObject`)
 * the contents brought back, estimated at the root's size each.
 */
function treeWeight(deps: ParallelResolveDeps, tree: { nodes: number[] }, rootSize: number): number {
  let weight = rootSize;
  for (const node of tree.nodes) weight += inputLength(deps.entries, node);
  return deps.onObject ? weight + rootSize * (tree.nodes.length - 1) : weight;
}

function inputLength(entries: PackEntries, index: number): number {
  return entries.inflated.get(index)?.length ?? entries.compressedLengthOf(index) + 1;
}

async function start(deps: ParallelResolveDeps, unit: Unit): Promise<Started> {
  if (unit.onMainThread) return { unit };
  const result = deps.pool.run(await buildJob(deps, unit), deps.owner);
  // Awaited in order later; a failure meanwhile must not count as unhandled.
  result.catch(() => undefined);
  return { unit, result };
}

/** Packs the unit's bytes (deltas kept from the scan, else zlib streams from the spool) into one buffer. */
async function buildJob(deps: ParallelResolveDeps, unit: Unit): Promise<ResolveJob> {
  const count = unit.nodes.length;
  const types = new Uint8Array(count);
  const zlib = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const starts = new Float64Array(count);
  const lengths = new Float64Array(count);
  const offsets = new Float64Array(count);
  let total = 0;
  const { entries } = deps;
  for (let i = 0; i < count; i++) {
    starts[i] = total;
    lengths[i] = inputLength(entries, unit.nodes[i]!);
    total += lengths[i]!;
  }
  const bytes = Buffer.allocUnsafeSlow(total);
  for (let i = 0; i < count; i++) {
    const index = unit.nodes[i]!;
    offsets[i] = entries.offset[index]!;
    if (unit.parents[i]! < 0) types[i] = codeOfObjectType(entries.typeOf(index));
    const inflated = entries.inflated.get(index);
    if (inflated) {
      inflated.copy(bytes, starts[i]);
      entries.inflated.delete(index);
      continue;
    }
    // One byte past the stream (a pack always ends with its trailer) shows where it ends.
    const raw = await deps.spool.read(entries.dataStart(index), lengths[i]!);
    raw.copy(bytes, starts[i]);
    zlib[i] = 1;
    sizes[i] = unit.parents[i]! < 0 ? entries.sizeOf(index) : entries.declaredSizeOf(index);
  }
  return {
    format: deps.format.name,
    maxObjectSize: deps.limits.maxObjectSize,
    maxNonBlobSize: deps.limits.maxNonBlobSize,
    maxDeltaDepth: deps.limits.maxDeltaDepth,
    wantData: deps.onObject !== undefined,
    maxResultBytes: MAX_JOB_RESULT_BYTES,
    parents: Int32Array.from(unit.parents),
    types,
    zlib,
    sizes,
    starts,
    lengths,
    offsets,
    bytes: bytes.buffer as ArrayBuffer,
  };
}

/** Records a job's results and hands them to `onObject` in the order the worker resolved them. */
async function deliver(deps: ParallelResolveDeps, unit: Unit, result: ResolveJobResult): Promise<void> {
  const hexLength = deps.format.hexLength;
  const arenas = result.arenas.map((arena) => Buffer.from(arena));
  for (let i = 0; i < result.nodes.length; i++) {
    const local = result.nodes[i]!;
    const index = unit.nodes[local]!;
    const base = unit.nodes[unit.parents[local]!]!;
    // The worker's ids are `hashObject` digests, concatenated.
    const id = objectIdFromDigest(result.ids.slice(i * hexLength, (i + 1) * hexLength));
    deps.resolver.record(index, base, id, result.sizes[i]!);
    if (!deps.onObject) continue;
    const object = deps.entries.objectAt(index, id);
    const start = result.dataStarts[i]!;
    const arena = arenas[result.arenaOf[i]!];
    const data = arena ? arena.subarray(start, start + object.size) : Buffer.alloc(0);
    const done = reportDelta(deps.spool, deps.onObject, object, data);
    if (done instanceof Promise) await done;
  }
}
