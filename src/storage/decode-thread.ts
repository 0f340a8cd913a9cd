import type { Worker } from 'node:worker_threads';
import type { ObjectType } from '../git/object.js';
import { MegaError } from '../platform/errors.js';
import { startModuleWorker } from '../platform/module-worker.js';
import {
  receivedError,
  type DecodeSetup,
  type DecodeThreadData,
  type FromDecodeThread,
  type ToDecodeThread,
} from './decode-thread-messages.js';

/** Whether some ingest uses the (one) decode thread. */
let threadInUse = false;

/**
 * A decode thread for one ingest, or undefined while another ingest has the process's one
 * (decode on the calling thread then: on two cores a second thread would only compete). Hand
 * it back with `releaseDecodeThread`.
 */
export function takeDecodeThread(): DecodeThread | undefined {
  if (threadInUse) return undefined;
  threadInUse = true;
  return new DecodeThread();
}

/**
 * Ends an ingest's use of its thread, which stops: an idle isolate kept ~40-80 MB of the
 * server's memory (docs/scale.md, "The decode thread"), while starting one costs ~140 ms of CPU,
 * a few % of the packs big enough to use it and not measurable next to their decode.
 */
export async function releaseDecodeThread(thread: DecodeThread): Promise<void> {
  threadInUse = false;
  await thread.terminate();
}

/**
 * The request's side of the decode thread (`ingest-decode-worker.ts`): starts a pack, yields
 * its messages in order, answers its calls for thin-pack bases, and counts the batches written
 * so it may send more. One pack per thread.
 */
export class DecodeThread {
  private readonly worker: Worker;
  private readonly inFlight: Int32Array;
  private readonly queue: FromDecodeThread[] = [];
  private wakeReader: (() => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    const inFlight = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.inFlight = new Int32Array(inFlight);
    this.worker = startModuleWorker(import.meta.url, 'ingest-decode-worker', {
      workerData: { inFlight } satisfies DecodeThreadData,
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
      if (message.kind === 'failed') throw receivedError(message.error);
      yield message;
      if (message.kind === 'done') return;
    }
  }

  /** A batch is with the writer: the thread may send one more. */
  batchWritten(): void {
    Atomics.sub(this.inFlight, 0, 1);
    Atomics.notify(this.inFlight, 0);
  }

  /** Answers the thread's `base` call (undefined: the repository does not hold it). */
  answerBase(call: number, base: { type: ObjectType; data: Uint8Array } | undefined): void {
    this.send({ kind: 'base', call, base });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private send(message: ToDecodeThread): void {
    this.worker.postMessage(message);
  }

  private fail(cause: Error): void {
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
