import type { FsckPolicy } from '../git/fsck-report.js';
import type { ObjectId } from '../git/object-id.js';
import type { PackReaderLimits } from '../git/pack-types.js';
import { MegaError, type ErrorKind } from '../platform/errors.js';
import type { DecodedBatch } from './decoded-batch.js';
import type { HandedSpool } from './handed-pack-spool.js';

/** Batches sent and not yet written before the decode thread waits (memory: ~4 MiB each). */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** One pack to decode, sent to the decode thread with `start`. */
export interface DecodeSetup {
  readonly formatName: string;
  readonly spool: HandedSpool;
  readonly limits?: Partial<PackReaderLimits>;
  /** The fsck policy, or undefined for no fsck. */
  readonly fsck: FsckPolicy | undefined;
  readonly threads: number;
  readonly largeObjectThreshold: number;
  readonly baseCacheBytes: number;
  readonly deltaCacheBytes: number;
}

/** What the decode thread starts with (its `workerData`). */
export interface DecodeThreadData {
  /** One Int32: batches sent and not yet written (the decode thread waits at the maximum). */
  readonly inFlight: SharedArrayBuffer;
}

/**
 * What the decode thread asks of the repository, answered on the request's thread (which owns the
 * transaction): a thin pack's base, and fsck's checks of objects outside the pack.
 */
export type RepositoryCall =
  | { readonly method: 'base'; readonly id: ObjectId }
  | { readonly method: 'types'; readonly ids: readonly string[] }
  | { readonly method: 'open'; readonly id: string }
  | { readonly method: 'next'; readonly stream: number }
  | { readonly method: 'close'; readonly stream: number };

export type FromDecodeThread =
  | { readonly kind: 'batch'; readonly batch: DecodedBatch }
  | { readonly kind: 'call'; readonly call: number; readonly request: RepositoryCall }
  /** Every object is sent; fsck's repository checks wait for `finish` (the writes must be done). */
  | { readonly kind: 'decoded'; readonly externalBases: readonly ObjectId[]; readonly checksum: string }
  /** With fsck: the ids the pack points to outside itself. */
  | { readonly kind: 'done'; readonly outside: readonly ObjectId[] | undefined }
  | { readonly kind: 'failed'; readonly error: SentError };

export type ToDecodeThread =
  | { readonly kind: 'start'; readonly setup: DecodeSetup }
  | { readonly kind: 'reply'; readonly call: number; readonly value?: unknown; readonly error?: SentError }
  | { readonly kind: 'finish' };

/** An error crossing the thread: a `MegaError`'s fields, so it fails the push the same way. */
export type SentError =
  | {
      readonly kind: ErrorKind;
      readonly code: MegaError['code'];
      readonly message: string;
      readonly details: Record<string, unknown>;
    }
  | { readonly kind?: undefined; readonly message: string };

export function sentError(error: unknown): SentError {
  if (error instanceof MegaError) {
    return { kind: error.kind, code: error.code, message: error.message, details: { ...error.details } };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function receivedError(sent: SentError): Error {
  if (sent.kind === undefined) return new Error(sent.message);
  return new MegaError(sent.kind, sent.code, sent.message, sent.details);
}
