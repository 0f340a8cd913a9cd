import { z } from 'zod';
import { invalid, tooLarge } from '../platform/errors.js';
import type { LfsOperation } from './lfs-types.js';

/** More objects than git-lfs ever sends in one batch (it sends 100); a bound for hostile bodies. */
export const MAX_BATCH_OBJECTS = 1000;

/**
 * The batch request (git-lfs docs/api/batch.md, "Requests"). Objects are checked one by one
 * later so that a bad oid or size becomes a per-object 422, not a failure of the whole batch.
 */
const BatchRequestSchema = z.object({
  operation: z.enum(['upload', 'download']),
  transfers: z.array(z.string().max(64)).max(64).optional(),
  ref: z
    .object({ name: z.string().max(1024) })
    .nullable()
    .optional(),
  objects: z.array(z.object({ oid: z.unknown(), size: z.unknown() })),
  hash_algo: z.string().max(64).optional(),
});

export interface BatchRequest {
  readonly operation: LfsOperation;
  readonly transfers: readonly string[];
  readonly refName?: string;
  readonly objects: ReadonlyArray<{ readonly oid: unknown; readonly size: unknown }>;
  readonly hashAlgo: string;
}

export function parseBatchRequest(body: unknown): BatchRequest {
  if (typeof body !== 'object' || body === null) {
    throw invalid('lfs_batch_invalid', 'batch request body must be a JSON object');
  }
  const count = (body as { objects?: unknown }).objects;
  if (Array.isArray(count) && count.length > MAX_BATCH_OBJECTS) {
    throw tooLarge('lfs_batch_too_many_objects', `a batch holds at most ${MAX_BATCH_OBJECTS} objects`, {
      limit: MAX_BATCH_OBJECTS,
    });
  }
  const parsed = BatchRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw invalid('lfs_batch_invalid', 'invalid batch request', {
      issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  const { operation, transfers, ref, objects, hash_algo: hashAlgo } = parsed.data;
  return {
    operation,
    // An absent list means the client only speaks `basic` (batch.md: "MUST be assumed").
    transfers: transfers ?? ['basic'],
    refName: ref?.name,
    objects,
    hashAlgo: hashAlgo ?? 'sha256',
  };
}
