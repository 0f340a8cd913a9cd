import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import type { ObjectSource } from './served-repository.js';

/** Objects read in one `readObjects` call at most (a directory of a big merge asks for hundreds). */
const MAX_BATCH = 500;

export interface ReadObject {
  readonly type: ObjectType;
  readonly content: Buffer;
}

interface Waiter {
  resolve(object: ReadObject | undefined): void;
  reject(error: unknown): void;
}

/**
 * Single object reads gathered into batches: every `read` asked for in the same turn of the event
 * loop (a tree merge asks for the subtrees and blobs of a whole directory level at once; a page
 * reads a listing's entries) is answered by one `readObjects` call instead of a query each — the
 * difference between thousands of round trips and a few dozen on a merge of a thousand files.
 * Nothing is cached past the batch: callers keep their own caches.
 */
export class BatchedReads {
  private waiting = new Map<ObjectId, Waiter[]>();
  private scheduled = false;

  constructor(private readonly source: Pick<ObjectSource, 'readObjects'>) {}

  /** The object, or undefined when the source lacks it. */
  read(id: ObjectId): Promise<ReadObject | undefined> {
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
        const found = new Map<ObjectId, ReadObject>();
        for await (const object of this.source.readObjects(slice)) {
          found.set(object.id, { type: object.type, content: object.content });
        }
        for (const id of slice) for (const waiter of batch.get(id) ?? []) waiter.resolve(found.get(id));
      } catch (error) {
        for (const id of slice) for (const waiter of batch.get(id) ?? []) waiter.reject(error);
      }
    }
  }
}
