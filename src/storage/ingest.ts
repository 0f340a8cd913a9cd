import type { Kysely } from 'kysely';
import type { ObjectType } from '../git/object.js';
import { SHA1, type ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { decodeEntryHeader } from '../git/pack-format.js';
import { readPack } from '../git/pack-reader.js';
import type { PackReaderLimits } from '../git/pack-types.js';
import { MegaError } from '../platform/errors.js';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import type { ObjectFiles } from './object-files.js';
import { ObjectStore } from './object-store.js';
import { ObjectWriter } from './object-writer.js';
import { SpillingPackSpool, spoolDirectory } from './pack-file-spool.js';
import { inTransaction } from './transaction.js';

export interface IngestOptions {
  readonly format?: ObjectFormat;
  readonly limits?: Partial<PackReaderLimits>;
  /** Pack bytes kept in memory before spilling to a temp file. */
  readonly spoolMemoryBytes?: number;
}

/** What an ingest stored: enough for receive-pack to check connectivity before moving refs. */
export interface IngestResult {
  /** Every object of the pack, in the order they were resolved. */
  readonly ids: readonly ObjectId[];
  readonly counts: Readonly<Record<ObjectType, number>>;
  /** Objects kept as stored deltas, and stored as files. */
  readonly deltas: number;
  readonly files: number;
  /** Thin-pack bases taken from the repository's own objects. */
  readonly externalBases: readonly ObjectId[];
  /** The pack's trailer checksum (hex). */
  readonly packChecksum: string;
}

export interface IngestDeps {
  readonly db: Kysely<Database>;
  readonly capabilities: DialectCapabilities;
  readonly files: ObjectFiles;
  readonly dataDir: string;
  readonly largeObjectThreshold: number;
  readonly runPreparedBatch?: (statement: string, parameterRows: readonly unknown[][]) => void;
}

/**
 * Decodes a pack with the git core's reader and stores every object, pack-ready, in ONE
 * transaction: the objects, their parsed commits and the repository's membership become
 * visible together or not at all (a stream that fails halfway rolls everything back). Thin-pack
 * bases are resolved only from objects this repository already holds.
 */
export async function ingestPack(
  deps: IngestDeps,
  repoId: number,
  source: AsyncIterable<Uint8Array>,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const format = options.format ?? SHA1;
  const spool = new SpillingPackSpool(spoolDirectory(deps.dataDir), options.spoolMemoryBytes);
  try {
    return await inTransaction(deps.db, async (trx) => {
      const reader = new ObjectStore(trx, deps.capabilities, deps.files);
      const writer = new ObjectWriter(trx, deps.capabilities, deps.files, {
        repoId,
        format,
        largeObjectThreshold: deps.largeObjectThreshold,
        ...(deps.runPreparedBatch ? { runPreparedBatch: deps.runPreparedBatch } : {}),
      });
      const result = await readPack(source, {
        format,
        spool,
        ...(options.limits ? { limits: options.limits } : {}),
        resolveExternalBase: async (id) => {
          const base = await reader.read(repoId, id);
          if (!base) return undefined;
          const form = await reader.storedForm(id);
          writer.noteExistingBase(id, form?.depth ?? 0, form?.inFile ?? false);
          return base;
        },
        onObject: async (object, content) => {
          let deltaSize: number | undefined;
          if (object.deltaBase) {
            const header = decodeEntryHeader(
              await spool.read(object.offset, object.headerLength),
              0,
              format.rawLength,
            );
            deltaSize = header?.size;
          }
          await writer.add({
            id: object.id,
            type: object.type,
            data: content.data,
            raw: content.raw,
            ...(object.deltaBase ? { deltaBase: object.deltaBase } : {}),
            ...(deltaSize !== undefined ? { deltaSize } : {}),
          });
        },
      });
      const summary = await writer.finish();
      return {
        ids: summary.ids,
        counts: summary.counts,
        deltas: summary.deltas,
        files: summary.files,
        externalBases: result.externalBases,
        packChecksum: result.checksum.toString('hex'),
      };
    });
  } catch (error) {
    // Two pushes writing overlapping objects in different orders can deadlock on a server
    // database; the loser is rolled back whole and may simply push again.
    if (deps.capabilities.isRetryableConflict(error)) {
      throw new MegaError(
        'conflict',
        'ingest_conflict',
        'concurrent write of the same objects, try again',
        {},
        { cause: error },
      );
    }
    throw error;
  } finally {
    await spool.dispose();
  }
}
