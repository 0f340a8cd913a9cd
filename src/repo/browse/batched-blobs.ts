import type { ObjectId } from '../../git/object-id.js';
import { notFound } from '../../platform/errors.js';
import type { ObjectSource } from '../served-repository.js';

/** Blobs read in one query at most (a directory of a big merge asks for a few hundred at once). */
const MAX_BATCH = 500;

interface Waiter {
  resolve(content: Buffer): void;
  reject(error: unknown): void;
}

/**
 * Blob reads gathered into batches: every `read` asked for in the same turn of the event loop
 * (a tree merge asks for the blobs of a whole directory at once) is answered by one
 * `readObjects` call instead of a query each — the difference between hundreds of round trips
 * and one on a merge of a thousand files.
 */
export class BatchedBlobs {
  private waiting = new Map<ObjectId, Waiter[]>();
  private scheduled = false;

  constructor(private readonly source: Pick<ObjectSource, 'readObjects'>) {}

  read(id: ObjectId): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(id);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current turn's promise jobs: every read the turn starts joins the batch.
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = new Map();
    this.scheduled = false;
    const ids = [...batch.keys()];
    for (let start = 0; start < ids.length; start += MAX_BATCH) {
      const slice = ids.slice(start, start + MAX_BATCH);
      try {
        const found = new Map<ObjectId, Buffer>();
        for await (const object of this.source.readObjects(slice)) {
          if (object.type === 'blob') found.set(object.id, object.content);
        }
        for (const id of slice) {
          const content = found.get(id);
          for (const waiter of batch.get(id) ?? []) {
            if (content) waiter.resolve(content);
            else waiter.reject(notFound('object_not_found', 'blob not found', { id }));
          }
        }
      } catch (error) {
        for (const id of slice) for (const waiter of batch.get(id) ?? []) waiter.reject(error);
      }
    }
  }
}
