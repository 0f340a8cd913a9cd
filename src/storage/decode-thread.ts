import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { ObjectType } from '../git/object.js';
import { MegaError } from '../platform/errors.js';
import { startModuleWorker } from '../platform/module-worker.js';
import {
  MAX_SPARES_WAITING,
  receivedError,
  type DecodeSetup,
  type DecodeThreadData,
  type FromDecodeThread,
  type ToDecodeThread,
} from './decode-thread-messages.js';

/**
 * A decode thread left idle this long is stopped (started again for the next big pack). Kept
 * for pushes that follow each other closely: a fresh thread costs ~140 ms of loading and runs
 * with a cold JIT. Not longer: an idle thread still holds ~10 MB, its isolate and code (the
 * pack's garbage it collects at once, `ingest-decode-worker.ts`; docs/scale.md, "The decode
 * thread").
 */
const IDLE_MS = 3_000;

/** The warm decode thread no ingest is using, if any. */
let idleThread: DecodeThread | undefined;
/** Whether some ingest uses the (one) decode thread. */
let threadInUse = false;

/**
 * The process's decode thread for one ingest, or undefined while another ingest has it (decode
 * on the calling thread then: on two cores a second thread would only compete). Hand it back
 * with `release`.
 */
export function takeDecodeThread(): DecodeThread | undefined {
  if (threadInUse) return undefined;
  threadInUse = true;
  const thread = idleThread ?? new DecodeThread();
  idleThread = undefined;
  thread.wake();
  return thread;
}

/**
 * Ends an ingest's use of the thread. One that finished its pack waits for the next; one still
 * decoding (the request failed: an aborted upload, a failed write) is terminated.
 */
export async function releaseDecodeThread(thread: DecodeThread): Promise<void> {
  threadInUse = false;
  if (!thread.reusable) {
    await thread.terminate();
    return;
  }
  thread.park();
  idleThread = thread;
}

/**
 * The request's side of the decode thread (`ingest-decode-worker.ts`): starts a pack, yields
 * its messages in order, answers its calls for thin-pack bases, and counts the batches written
 * so it may send more. Kept warm between packs; an ingest that did not see its pack through terminates it.
 */
export class DecodeThread {
  private readonly worker: Worker;
  private readonly inFlight: Int32Array;
  private readonly spares: MessagePort;
  private readonly queue: FromDecodeThread[] = [];
  private wakeReader: (() => void) | undefined;
  private failure: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private dead = false;
  /** Between `start` and the pack's `done` or `failed`, as read by `messages()`. */
  private decoding = false;

  constructor() {
    const inFlight = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    this.inFlight = new Int32Array(inFlight);
    const spares = new MessageChannel();
    this.spares = spares.port1;
    // Never keeps the process alive: the worker's own reference does while it decodes.
    this.spares.unref();
    this.worker = startModuleWorker(import.meta.url, 'ingest-decode-worker', {
      workerData: { inFlight, spares: spares.port2 } satisfies DecodeThreadData,
      transferList: [spares.port2],
    });
    this.worker.on('message', (message: FromDecodeThread) => {
      this.queue.push(message);
      this.wakeUpReader();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`decode thread exited with code ${code}`)));
  }

  /** Starts decoding a pack; its messages follow through `messages()`. */
  start(setup: DecodeSetup): void {
    Atomics.store(this.inFlight, 0, 0);
    this.decoding = true;
    this.send({ kind: 'start', setup });
  }

  /** The pack's messages, in order, up to `done`; throws the error that failed the decode. */
  async *messages(): AsyncGenerator<FromDecodeThread> {
    for (;;) {
      // A thread that died fails the pack even with messages left: it never said it was done.
      if (this.failure) throw this.failure;
      const message = this.queue.shift();
      if (message === undefined) {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
        continue;
      }
      if (message.kind === 'failed') {
        this.decoding = false;
        throw receivedError(message.error);
      }
      if (message.kind === 'done') this.decoding = false;
      yield message;
      if (message.kind === 'done') return;
    }
  }

  /** A batch is with the writer: the thread may send one more. */
  batchWritten(): void {
    Atomics.sub(this.inFlight, 0, 1);
    Atomics.notify(this.inFlight, 0);
  }

  /**
   * Hands a written batch's payload buffer back for the thread's next batches: nothing on this
   * thread may hold a view of it any more (transferred, so it is detached here).
   */
  recycle(bytes: ArrayBuffer): void {
    if (this.dead || Atomics.load(this.inFlight, 1) >= MAX_SPARES_WAITING) return;
    Atomics.add(this.inFlight, 1, 1);
    this.spares.postMessage(bytes, [bytes]);
  }

  /** Answers the thread's `base` call (undefined: the repository does not hold it). */
  answerBase(call: number, base: { type: ObjectType; data: Uint8Array } | undefined): void {
    this.send({ kind: 'base', call, base });
  }

  /** Whether the thread finished its pack (its `done` or `failed` read) and may take another. */
  get reusable(): boolean {
    return !this.decoding && !this.dead && this.queue.length === 0;
  }

  /** Waits for the next pack, without keeping the process alive; stops after `IDLE_MS`. */
  park(): void {
    this.worker.unref();
    this.idleTimer = setTimeout(() => void this.terminate(), IDLE_MS).unref();
  }

  /** Back in use after idling. */
  wake(): void {
    clearTimeout(this.idleTimer);
    this.worker.ref();
  }

  async terminate(): Promise<void> {
    this.dead = true;
    clearTimeout(this.idleTimer);
    if (idleThread === this) idleThread = undefined;
    this.spares.close();
    await this.worker.terminate();
  }

  private send(message: ToDecodeThread): void {
    this.worker.postMessage(message);
  }

  private fail(cause: Error): void {
    this.dead = true;
    if (idleThread === this) idleThread = undefined;
    this.failure ??= new MegaError(
      'internal',
      'ingest_decode_thread_failed',
      'pack decode thread failed',
      { reason: cause.message },
      { cause },
    );
    this.wakeUpReader();
  }

  private wakeUpReader(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }
}
