import type { MessagePort } from 'node:worker_threads';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { PackReaderLimits } from '../git/pack-types.js';
import { MegaError, type ErrorKind } from '../platform/errors.js';
import type { DecodedBatch } from './decoded-batch.js';
import type { HandedSpool } from './handed-pack-spool.js';

/** Batches sent and not yet written before the decode thread waits (memory: ~4 MiB each). */
export const MAX_BATCHES_IN_FLIGHT = 4;

/**
 * Spare batch buffers waiting for the decode thread at most; more are left to the GC. A reused
 * buffer stays resident whole, where a fresh one maps only the pages filled: unbounded, the
 * spares raised the large push's peak RSS by 15-24 MB (docs/scale.md, "Batch buffers handed back").
 */
export const MAX_SPARES_WAITING = 2;

/** One pack to decode, sent to the decode thread with `start`. */
export interface DecodeSetup {
  readonly formatName: string;
  readonly spool: HandedSpool;
  readonly limits?: Partial<PackReaderLimits>;
  readonly threads: number;
  readonly largeObjectThreshold: number;
  readonly baseCacheBytes: number;
  readonly deltaCacheBytes: number;
  readonly recentContentBytes: number;
  /**
   * With fsck: its policy, by which the decode thread scans every tree it resolves
   * (`TreeScanner`), so the request's thread only replays each tree's links.
   */
  readonly treeFsck?: { readonly strict: boolean; readonly ignore: readonly string[] };
}

/** What the decode thread starts with (its `workerData`). */
export interface DecodeThreadData {
  /**
   * Two Int32s: batches sent and not yet written (the decode thread waits at the maximum), and
   * spare buffers (`spares`) sent back and not yet taken (at most `MAX_SPARES_WAITING`).
   */
  readonly inFlight: SharedArrayBuffer;
  /**
   * Payload buffers of written batches, sent back (transferred) for the next batches: a fresh
   * 4 MiB buffer per batch page-faults on every page it is filled with. The decode thread takes
   * them with `receiveMessageOnPort`, so without turns of its event loop.
   */
  readonly spares: MessagePort;
}

export type FromDecodeThread =
  | { readonly kind: 'batch'; readonly batch: DecodedBatch }
  /** A thin pack's base, asked of the repository (the request's thread owns the transaction). */
  | { readonly kind: 'base'; readonly call: number; readonly id: ObjectId }
  /** Every object was sent. */
  | { readonly kind: 'done'; readonly externalBases: readonly ObjectId[]; readonly checksum: string }
  | { readonly kind: 'failed'; readonly error: SentError };

export type ToDecodeThread =
  | { readonly kind: 'start'; readonly setup: DecodeSetup }
  | {
      readonly kind: 'base';
      readonly call: number;
      readonly base: { readonly type: ObjectType; readonly data: Uint8Array } | undefined;
    };

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
