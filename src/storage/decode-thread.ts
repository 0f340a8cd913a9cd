import type { Worker } from 'node:worker_threads';
import { MegaError } from '../platform/errors.js';
import { startModuleWorker } from '../platform/module-worker.js';
import {
  receivedError,
  sentError,
  type DecodeSetup,
  type FromDecodeThread,
  type ToDecodeThread,
} from './decode-thread-messages.js';

/**
 * The request's side of an ingest's decode thread (`ingest-decode-worker.ts`): its messages in
 * order, replies to its calls, and the count of batches written that lets it send more. One
 * thread per ingest, terminated by `close()` however the ingest ends.
 */
export class DecodeThread {
  private readonly worker: Worker;
  private readonly inFlight: Int32Array;
  private readonly queue: FromDecodeThread[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private finished = false;

  constructor(setup: Omit<DecodeSetup, 'inFlight'>) {
    const inFlight = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.inFlight = new Int32Array(inFlight);
    this.worker = startModuleWorker(import.meta.url, 'ingest-decode-worker', {
      workerData: { ...setup, inFlight } satisfies DecodeSetup,
    });
    this.worker.on('message', (message: FromDecodeThread) => {
      if (message.kind === 'done' || message.kind === 'failed') this.finished = true;
      this.queue.push(message);
      this.wakeUp();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.fail(new Error(`decode thread exited with code ${code}`));
    });
  }

  /** The thread's messages, in order, up to `done`; throws the error that failed the decode. */
  async *messages(): AsyncGenerator<FromDecodeThread> {
    for (;;) {
      const message = this.queue.shift();
      if (message === undefined) {
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
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

  reply(call: number, value: unknown, transfer: ArrayBuffer[] = []): void {
    this.send({ kind: 'reply', call, value }, transfer);
  }

  replyError(call: number, error: unknown): void {
    this.send({ kind: 'reply', call, error: sentError(error) });
  }

  /** The writes are done: the thread runs fsck's checks against the repository. */
  finish(): void {
    this.send({ kind: 'finish' });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private send(message: ToDecodeThread, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private fail(cause: Error): void {
    this.failure ??= new MegaError(
      'internal',
      'ingest_decode_thread_failed',
      'pack decode thread failed',
      { reason: cause.message },
      { cause },
    );
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
