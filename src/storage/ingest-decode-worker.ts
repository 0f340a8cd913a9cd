import { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import type { ObjectType } from '../git/object.js';
import { objectFormatByName } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { releaseHeapSoon } from '../platform/heap-release.js';
import { PackFsck } from '../git/pack-fsck.js';
import { readPack } from '../git/pack-reader.js';
import { DecodedBatchBuilder, type DecodedBatch } from './decoded-batch.js';
import {
  MAX_BATCHES_IN_FLIGHT,
  receivedError,
  sentError,
  type DecodeSetup,
  type DecodeThreadData,
  type FromDecodeThread,
  type RepositoryCall,
  type ToDecodeThread,
} from './decode-thread-messages.js';
import { HandedPackSpool } from './handed-pack-spool.js';
import { finishPackFsck, throwIfRefused, type RepositoryObjects } from './ingest-fsck.js';

/**
 * The decode thread of ingests (`ingest-on-decode-thread.ts`), one pack at a time: reads the
 * received pack from its spool, resolves its deltas, runs fsck and sends the objects in batches
 * to the request's thread, which only writes them. Sends at most `MAX_BATCHES_IN_FLIGHT` batches
 * ahead of the writes, so memory stays bounded however far the decode runs ahead of the
 * database. It stays up between packs: a fresh thread costs ~140 ms to load and runs its first
 * thousands of objects with a cold JIT.
 */
const port = parentPort!;
const inFlight = new Int32Array((workerData as DecodeThreadData).inFlight);
/** Bytes handed to the pack reader per chunk when replaying the spool. */
const REPLAY_CHUNK = 1024 * 1024;
/** How long one wait for the writes lasts before it looks again (a terminate lands between). */
const WAIT_MS = 1000;

/** The pack being decoded: its calls waiting for replies, and the writer's go for fsck's end. */
interface Job {
  readonly calls: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
  nextCall: number;
  finishRequested: () => void;
  readonly finishing: Promise<void>;
}
let job: Job | undefined;

port.on('message', (message: ToDecodeThread) => {
  if (message.kind === 'start') {
    startJob(message.setup);
  } else if (message.kind === 'finish') {
    job?.finishRequested();
  } else {
    const pending = job?.calls.get(message.call);
    job?.calls.delete(message.call);
    if (message.error) pending?.reject(receivedError(message.error));
    else pending?.resolve(message.value);
  }
});

function startJob(setup: DecodeSetup): void {
  let finishRequested: () => void = () => undefined;
  const finishing = new Promise<void>((resolve) => (finishRequested = resolve));
  job = { calls: new Map(), nextCall: 0, finishRequested, finishing };
  decode(setup, job).then(
    () => {
      job = undefined;
      // The pack's reader state is garbage now, and an idle thread would keep it (heap-release).
      releaseHeapSoon();
    },
    (error: unknown) => {
      job = undefined;
      releaseHeapSoon();
      post({ kind: 'failed', error: sentError(error) });
    },
  );
}

function post(message: FromDecodeThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function call<T>(request: RepositoryCall): Promise<T> {
  const current = job!;
  const id = current.nextCall++;
  return new Promise<T>((resolve, reject) => {
    current.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
    post({ kind: 'call', call: id, request });
  });
}

function sendBatch(batch: DecodedBatch, transfer: ArrayBuffer[]): void {
  for (
    let sent = Atomics.load(inFlight, 0);
    sent >= MAX_BATCHES_IN_FLIGHT;
    sent = Atomics.load(inFlight, 0)
  ) {
    Atomics.wait(inFlight, 0, sent, WAIT_MS);
  }
  Atomics.add(inFlight, 0, 1);
  post({ kind: 'batch', batch }, transfer);
}

/** The repository as fsck reads it, through the request's thread. */
const repository: RepositoryObjects = {
  types: async (_repoId, ids) => new Map(await call<[ObjectId, ObjectType][]>({ method: 'types', ids })),
  openContent: async (_repoId, id) => {
    const opened = await call<{ type: ObjectType; size: number; stream: number } | undefined>({
      method: 'open',
      id,
    });
    if (!opened) return undefined;
    return { type: opened.type, size: opened.size, stream: Readable.from(remoteChunks(opened.stream)) };
  },
};

async function* remoteChunks(stream: number): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const chunk = await call<Uint8Array | undefined>({ method: 'next', stream });
      if (!chunk) return;
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
  } finally {
    await call({ method: 'close', stream });
  }
}

async function* replay(spool: HandedPackSpool): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < spool.size; offset += REPLAY_CHUNK) {
    yield spool.read(offset, Math.min(REPLAY_CHUNK, spool.size - offset));
  }
}

async function decode(setup: DecodeSetup, current: Job): Promise<void> {
  const format = objectFormatByName(setup.formatName)!;
  const spool = new HandedPackSpool(setup.spool);
  try {
    const checker = setup.fsck ? new PackFsck(format, setup.fsck) : undefined;
    const batches = new DecodedBatchBuilder(format, sendBatch);
    const { externalBases, checksum } = await readPack(replay(spool), {
      format,
      spool,
      threads: setup.threads,
      baseCacheBytes: setup.baseCacheBytes,
      deltaCacheBytes: setup.deltaCacheBytes,
      ...(setup.limits ? { limits: setup.limits } : {}),
      resolveExternalBase: async (id) => {
        // Objects sent so far go first: the writer learns of the base before its deltas.
        batches.flush();
        const base = await call<{ type: ObjectType; data: Uint8Array } | undefined>({ method: 'base', id });
        return (
          base && {
            type: base.type,
            data: Buffer.from(base.data.buffer, base.data.byteOffset, base.data.length),
          }
        );
      },
      largeBlobThreshold: setup.largeObjectThreshold,
      onLargeBlob: (object) => {
        checker?.addStreamedBlob(object.id, object.size);
        batches.addLargeBlob(object, object.offset + object.headerLength);
      },
      onObject: (object, content) => {
        if (checker) {
          checker.add(object.id, object.type, content.data);
          throwIfRefused(checker);
        }
        batches.addObject(object, content);
      },
    });
    batches.flush();
    post({ kind: 'decoded', externalBases: [...externalBases], checksum: checksum.toString('hex') });
    await current.finishing;
    const outside = checker ? await finishPackFsck(checker, repository, 0) : undefined;
    post({ kind: 'done', outside });
  } finally {
    spool.close();
  }
}
