import { getHeapStatistics } from 'node:v8';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { objectFormatByName } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { readPack } from '../git/pack-reader.js';
import { TreeScanner } from '../git/scanned-trees.js';
import type { ExternalBase } from '../git/pack-types.js';
import { DecodedBatchBuilder, type DecodedBatch } from './decoded-batch.js';
import {
  MAX_BATCHES_IN_FLIGHT,
  sentError,
  type DecodeSetup,
  type DecodeThreadData,
  type FromDecodeThread,
  type ToDecodeThread,
} from './decode-thread-messages.js';
import { HandedPackSpool } from './handed-pack-spool.js';

/**
 * The decode thread of ingests (`ingest-on-decode-thread.ts`), one pack at a time: reads the
 * received pack from its spool, resolves its deltas and sends the objects in batches to the
 * request's thread, which checks (fsck) and writes them. Sends at most `MAX_BATCHES_IN_FLIGHT`
 * batches ahead of the writes, so memory stays bounded however far the decode runs ahead of
 * the database. It stays up for the next pack a few seconds (`decode-thread.ts`, `IDLE_MS`).
 */
const port = parentPort!;
const inFlight = new Int32Array((workerData as DecodeThreadData).inFlight);
const spares = (workerData as DecodeThreadData).spares;
/** Bytes handed to the pack reader per chunk when replaying the spool. */
const REPLAY_CHUNK = 1024 * 1024;
/** How long one wait for the writes lasts before it looks again (a terminate lands between). */
const WAIT_MS = 1000;
/**
 * How long the thread waits after a pack before it collects the pack's garbage
 * (`collectPackGarbage`); a pack started sooner cancels the collection. Packs that follow each
 * other (a busy server, the storage bench) paid one forced full collection each, which also left
 * the next pack a heap limit so low that it ran a blocking full collection of its own (30–120
 * ms): 10–15 % of an ingest's CPU (bench pack, under the server's flags: 1,028 → 876 ms on
 * SQLite, 772 → 697 ms with the database server's on PostgreSQL; docs/scale.md, "The server's GC
 * flags and the ingest"). 200 ms was too short to skip it: under load the request's tail after
 * the last batch is longer.
 */
const COLLECT_AFTER_IDLE_MS = 1000;
/**
 * A pack that leaves this much in array buffers (the ring, caches and batches: ~145 MB after
 * 497k objects, ~45 MB after the bench's 32k) is collected at once: its push's tail and the clone
 * that often follows must not have it beside them (deferred, the large push's peak grew by 10–16
 * MB), and one collection is little beside such a pack's seconds of decoding.
 */
const COLLECT_AT_ONCE_BYTES = 96 * 1024 * 1024;
/** The collection due once the thread has idled `COLLECT_AFTER_IDLE_MS`, if any. */
let collectTimer: NodeJS.Timeout | undefined;

/** Thin-pack bases asked for and not yet answered, by call number. */
const baseCalls = new Map<number, (base: ExternalBase | undefined) => void>();
let nextCall = 0;

port.on('message', (message: ToDecodeThread) => {
  if (message.kind === 'start') {
    clearTimeout(collectTimer);
    decode(message.setup)
      .catch((error: unknown) => post({ kind: 'failed', error: sentError(error) }))
      .finally(scheduleCollection);
    return;
  }
  const answer = baseCalls.get(message.call);
  baseCalls.delete(message.call);
  const { base } = message;
  answer?.(
    base && { type: base.type, data: Buffer.from(base.data.buffer, base.data.byteOffset, base.data.length) },
  );
});

/** Collects the pack's garbage now if it is big, else once the thread idled (no pack followed). */
function scheduleCollection(): void {
  const big = getHeapStatistics().external_memory >= COLLECT_AT_ONCE_BYTES;
  collectTimer = setTimeout(collectPackGarbage, big ? 0 : COLLECT_AFTER_IDLE_MS);
}

/**
 * A pack's reader state (the ring of recent contents, the base and delta caches, the batches'
 * buffers) is garbage once its pack is done, but a thread waiting for the next pack allocates
 * nothing, so V8 never collects it: ~80 MB at 497k objects stayed resident for the 3 s the thread
 * idles, beside the clone that often follows a big push (docs/scale.md, "The clone right after
 * the push: the push's garbage beside it"). One full collection of this thread's heap frees it, on this
 * thread, while the request's thread goes on, once no pack followed for `COLLECT_AFTER_IDLE_MS`
 * (a pack that follows reuses the heap as it is). Needs `--expose-gc` (bin/mega.js; Node exposes
 * `gc` in workers too); without it this does nothing.
 */
function collectPackGarbage(): void {
  // Spare batch buffers handed back after the pack's last batch: dropped with the rest.
  while (spareBytes()) {
    // Nothing to do but take them.
  }
  globalThis.gc?.();
}

/** A written batch's payload buffer handed back by the request's thread, if one waits. */
function spareBytes(): ArrayBuffer | undefined {
  const spare = receiveMessageOnPort(spares)?.message as ArrayBuffer | undefined;
  if (spare) Atomics.sub(inFlight, 1, 1);
  return spare;
}

function post(message: FromDecodeThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function askBase(id: ObjectId): Promise<ExternalBase | undefined> {
  const call = nextCall++;
  return new Promise((resolve) => {
    baseCalls.set(call, resolve);
    post({ kind: 'base', call, id });
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

async function* replay(spool: HandedPackSpool): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < spool.size; offset += REPLAY_CHUNK) {
    yield spool.read(offset, Math.min(REPLAY_CHUNK, spool.size - offset));
  }
}

/** The object count in the pack's header (the reader checks the header itself), or undefined. */
function declaredObjects(spool: HandedPackSpool): number | undefined {
  return spool.size >= 12 ? spool.read(8, 4).readUInt32BE(0) : undefined;
}

async function decode(setup: DecodeSetup): Promise<void> {
  const format = objectFormatByName(setup.formatName)!;
  const spool = new HandedPackSpool(setup.spool);
  try {
    const { treeFsck } = setup;
    const trees =
      treeFsck && new TreeScanner(format, { strict: treeFsck.strict, ignore: new Set(treeFsck.ignore) });
    const batches = new DecodedBatchBuilder(format, sendBatch, trees, declaredObjects(spool), spareBytes);
    const { externalBases, checksum } = await readPack(replay(spool), {
      format,
      spool,
      threads: setup.threads,
      baseCacheBytes: setup.baseCacheBytes,
      deltaCacheBytes: setup.deltaCacheBytes,
      recentContentBytes: setup.recentContentBytes,
      // The batches carry no CRC32: the ingest writes no pack index.
      skipCrc32: true,
      ...(setup.limits ? { limits: setup.limits } : {}),
      resolveExternalBase: (id) => {
        // Objects decoded so far go first: the writer learns of the base before its deltas.
        batches.flush();
        return askBase(id);
      },
      largeBlobThreshold: setup.largeObjectThreshold,
      onLargeBlob: (object) => batches.addLargeBlob(object, object.offset + object.headerLength),
      onRawObject: (object, content) => batches.addRawObject(object, content),
    });
    batches.flush();
    post({ kind: 'done', externalBases: [...externalBases], checksum: checksum.toString('hex') });
  } finally {
    spool.close();
  }
}
