import { parentPort } from 'node:worker_threads';
import { MegaError } from '../platform/errors.js';
import { Inflater } from './inflater.js';
import { runResolveJob, type ResolveJob } from './resolve-job.js';
import type { WorkerReply, WorkerRequest } from './resolve-worker-pool.js';

/**
 * Entry point of a delta-resolution worker thread (see `ResolveWorkerPool`): runs each job it is
 * sent and replies with the result, or with the error as plain fields so the pool can rethrow
 * it as the same `MegaError`.
 */
const port = parentPort;
if (!port) throw new Error('resolve-worker must run as a worker thread');
const inflater = new Inflater();

port.on('message', (request: WorkerRequest) => {
  const reply = handle(request.seq, request.job);
  const transfer = reply.result ? reply.result.arenas : [];
  port.postMessage(reply, transfer);
});
port.postMessage({ seq: -1 } satisfies WorkerReply);

function handle(seq: number, job: ResolveJob): WorkerReply {
  try {
    return { seq, result: runResolveJob(job, inflater) };
  } catch (error) {
    if (error instanceof MegaError) {
      return {
        seq,
        error: { kind: error.kind, code: error.code, message: error.message, details: { ...error.details } },
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { seq, error: { kind: 'internal', code: 'pack_worker_failed', message, details: {} } };
  }
}
