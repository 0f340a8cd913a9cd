import zlib from 'node:zlib';
import { invalid } from '../../src/platform/errors.js';
import { Deflater } from '../../src/git/deflater.js';
import { hashObject, type ObjectType } from '../../src/git/object.js';
import { SHA1, type ObjectFormat } from '../../src/git/object-format.js';
import { objectIdToRaw, type ObjectId } from '../../src/git/object-id.js';
import {
  codeOfObjectType,
  encodeEntryHeader,
  encodeOfsDistance,
  encodePackHeader,
  PackEntryType,
} from '../../src/git/pack-format.js';
import { PackStream } from '../../src/git/pack-stream.js';
import { findDeltas, packNameHash, type DeltaChoice } from './delta-search.js';

/** What to put in a pack: an object to compress (and maybe deltify), or stored bytes to copy. */
export type PackWriteEntry =
  | {
      readonly kind: 'object';
      readonly type: ObjectType;
      readonly data: Buffer;
      readonly id?: ObjectId;
      /** Path the object was found at; groups similar files for the delta search. */
      readonly path?: string;
    }
  | {
      /** A whole object already deflated (e.g. `PackedContent.raw` of a non-delta). */
      readonly kind: 'deflated';
      readonly id: ObjectId;
      readonly type: ObjectType;
      readonly size: number;
      readonly raw: Buffer;
    }
  | {
      /** A stored delta: its deflated bytes and its base's id. */
      readonly kind: 'delta';
      readonly id: ObjectId;
      readonly baseId: ObjectId;
      /** Inflated delta size; read from the delta when omitted. */
      readonly deltaSize?: number;
      readonly raw: Buffer;
    };

export interface PackWriterOptions {
  readonly format?: ObjectFormat;
  /** Objects compared per delta search (git's pack.window, default 10); 0 disables the search. */
  readonly window?: number;
  /** Longest delta chain created by the search (pack.depth, default 50). */
  readonly depth?: number;
  /** Write deltas as OFS_DELTA when the base is in the pack (capability `ofs-delta`). */
  readonly ofsDelta?: boolean;
  /** Allow stored deltas against bases that are not in the pack (capability `thin-pack`). */
  readonly thin?: boolean;
  /** zlib level for objects we compress (git's default: zlib's default). */
  readonly compressionLevel?: number;
  /** Objects larger than this are not diffed (core.bigFileThreshold, default 512 MiB). */
  readonly bigFileThreshold?: number;
  /** Loads a whole object, for stored deltas whose base is not in a non-thin pack. */
  readonly loadObject?: (id: ObjectId) => Promise<{ type: ObjectType; data: Buffer } | undefined>;
}

/** Where each object landed, for writing an `.idx` (`writePackIndex`) or for the caller's records. */
export interface WrittenObject {
  readonly id: ObjectId;
  readonly offset: number;
  readonly crc32: number;
}

export interface PackWriteSummary {
  readonly checksum: Buffer;
  readonly objects: readonly WrittenObject[];
}

interface Planned {
  readonly id: ObjectId;
  /** Index of an in-pack base, or -1. */
  base: number;
  /** Base id when the base is outside the pack (thin). */
  externalBase: ObjectId | undefined;
  type: ObjectType | undefined;
  data: Buffer | undefined;
  delta: Buffer | undefined;
  readonly source: PackWriteEntry;
}

/**
 * Test and bench support, not used by the server (which copies stored forms, `sendPack`): builds
 * packs with a delta search of its own. Plans (dedupe, resolve stored-delta bases, delta search),
 * then emits entries with every delta's base before it through the server's encoder
 * (`PackStream`), then the trailer. Iterate `chunks()`; `summary` is set when it ends.
 */
export class PackWriter {
  summary: PackWriteSummary | undefined;
  private readonly format: ObjectFormat;

  constructor(
    private readonly entries: readonly PackWriteEntry[],
    private readonly options: PackWriterOptions = {},
  ) {
    this.format = options.format ?? SHA1;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    const planned = await this.plan();
    const deflater = new Deflater(this.options.compressionLevel ?? zlib.constants.Z_DEFAULT_COMPRESSION);
    const offsets = new Array<number>(planned.length).fill(-1);
    const written: WrittenObject[] = [];
    const out: Buffer[] = [];
    const stream = new PackStream({ write: async (piece) => void out.push(piece) }, this.format);
    stream.append(encodePackHeader(planned.length));
    for (let i = 0; i < planned.length; i++) {
      for (const index of this.baseFirstOrder(planned, offsets, i)) {
        const offset = stream.position;
        offsets[index] = offset;
        const parts = this.encodeEntry(planned[index]!, offset, offsets, planned, deflater);
        let crc = 0;
        for (const part of parts) {
          crc = zlib.crc32(part, crc);
          stream.append(part);
        }
        written.push({ id: planned[index]!.id, offset, crc32: crc });
        planned[index]!.data = undefined;
        planned[index]!.delta = undefined;
      }
      if (stream.backlogged) {
        await stream.drain();
        yield* out.splice(0);
      }
    }
    const checksum = await stream.finish();
    yield* out.splice(0);
    this.summary = { checksum, objects: written };
  }

  /** Entry `i` preceded by any unwritten bases it depends on (deepest first). */
  private baseFirstOrder(planned: Planned[], offsets: number[], i: number): number[] {
    const chain: number[] = [];
    for (let at = i; at >= 0 && offsets[at] === -1; at = planned[at]!.base) {
      if (chain.length > planned.length) {
        throw invalid('pack_write_delta_cycle', 'stored deltas form a cycle', { id: planned[i]!.id });
      }
      chain.push(at);
    }
    return chain.reverse();
  }

  private encodeEntry(
    entry: Planned,
    offset: number,
    offsets: number[],
    planned: Planned[],
    deflater: Deflater,
  ): Buffer[] {
    const source = entry.source;
    const inPackBase = entry.base >= 0 ? planned[entry.base]! : undefined;
    const baseId = inPackBase?.id ?? entry.externalBase;
    if (baseId === undefined) {
      if (source.kind === 'deflated')
        return [encodeEntryHeader(codeOfObjectType(source.type), source.size), source.raw];
      const data = entry.data!;
      return [encodeEntryHeader(codeOfObjectType(entry.type!), data.length), deflater.deflate(data)];
    }
    let raw: Buffer;
    let deltaSize: number;
    if (source.kind === 'delta') {
      raw = source.raw;
      deltaSize = source.deltaSize ?? inflatedDeltaSize(source.raw);
    } else {
      raw = deflater.deflate(entry.delta!);
      deltaSize = entry.delta!.length;
    }
    if (inPackBase && this.options.ofsDelta !== false) {
      return [
        encodeEntryHeader(PackEntryType.OfsDelta, deltaSize),
        encodeOfsDistance(offset - offsets[entry.base]!),
        raw,
      ];
    }
    return [encodeEntryHeader(PackEntryType.RefDelta, deltaSize), objectIdToRaw(baseId), raw];
  }

  private async plan(): Promise<Planned[]> {
    const planned: Planned[] = [];
    const byId = new Map<string, number>();
    for (const source of this.entries) {
      const id =
        source.kind === 'object'
          ? (source.id ?? hashObject(source.type, source.data, this.format))
          : source.id;
      if (byId.has(id)) continue;
      byId.set(id, planned.length);
      planned.push({
        id,
        base: -1,
        externalBase: undefined,
        type: source.kind === 'delta' ? undefined : source.type,
        data: source.kind === 'object' ? source.data : undefined,
        delta: undefined,
        source,
      });
    }
    for (const entry of planned) {
      if (entry.source.kind !== 'delta') continue;
      const base = byId.get(entry.source.baseId);
      if (base !== undefined) entry.base = base;
      else if (this.options.thin) entry.externalBase = entry.source.baseId;
      else await this.inlineMissingBase(entry);
    }
    this.searchDeltas(planned);
    return planned;
  }

  /** A stored delta whose base will not be in the pack becomes a whole object. */
  private async inlineMissingBase(entry: Planned): Promise<void> {
    const object = this.options.loadObject ? await this.options.loadObject(entry.id) : undefined;
    if (!object) {
      throw invalid(
        'pack_write_missing_base',
        'delta base is not in the pack and the object cannot be loaded',
        {
          id: entry.id,
        },
      );
    }
    entry.type = object.type;
    entry.data = object.data;
    (entry as { source: PackWriteEntry }).source = {
      kind: 'object',
      type: object.type,
      data: object.data,
      id: entry.id,
    };
  }

  private searchDeltas(planned: Planned[]): void {
    const window = this.options.window ?? 10;
    if (window <= 0) return;
    const members = planned.filter((entry) => entry.source.kind === 'object');
    const choices: (DeltaChoice | undefined)[] = findDeltas(
      members.map((entry) => ({
        type: entry.type!,
        data: entry.data!,
        nameHash: packNameHash(entry.source.kind === 'object' ? entry.source.path : undefined),
      })),
      {
        window,
        depth: this.options.depth ?? 50,
        maxObjectSize: this.options.bigFileThreshold ?? 512 * 1024 * 1024,
        idLength: this.format.rawLength,
      },
    );
    const indexOf = new Map(planned.map((entry, i) => [entry, i]));
    for (const [i, choice] of choices.entries()) {
      if (!choice) continue;
      const entry = members[i]!;
      entry.base = indexOf.get(members[choice.base]!)!;
      entry.delta = choice.delta;
    }
  }
}

function inflatedDeltaSize(raw: Buffer): number {
  return zlib.inflateSync(raw).length;
}

/** Convenience: the whole pack as one buffer plus its summary. */
export async function writePackToBuffer(
  entries: readonly PackWriteEntry[],
  options: PackWriterOptions = {},
): Promise<{ pack: Buffer; summary: PackWriteSummary }> {
  const writer = new PackWriter(entries, options);
  const parts: Buffer[] = [];
  for await (const chunk of writer.chunks()) parts.push(chunk);
  return { pack: Buffer.concat(parts), summary: writer.summary! };
}
