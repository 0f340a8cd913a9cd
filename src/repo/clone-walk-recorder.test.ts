import { describe, expect, it } from 'vitest';
import { CloneWalkRecorder } from './clone-walk-recorder.js';
import type { ServedRepository } from './served-repository.js';

describe('CloneWalkRecorder.settled', () => {
  /** A repository whose recording ends at once (listRefs fails) and says when it ran. */
  const repository = (path: string, calls: string[]): ServedRepository =>
    ({
      path,
      exists: true,
      cloneWalks: { find: async () => undefined, save: async () => undefined },
      listRefs: async () => {
        calls.push(path);
        throw new Error(`no refs for ${path}`);
      },
    }) as unknown as ServedRepository;

  it('waits for the queued recording without starting it sooner', async () => {
    const calls: string[] = [];
    const recorder = new CloneWalkRecorder(() => undefined, 60_000);
    await recorder.settled('/nothing-queued');
    recorder.schedule(repository('/a', calls));
    let done = false;
    const settled = recorder.settled('/a').then(() => (done = true));
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    // Still waiting for its delay: a job after the recording does not hurry it.
    expect(calls).toEqual([]);
    expect(done).toBe(false);
    await recorder.idle();
    await settled;
    expect(calls).toEqual(['/a']);
    expect(done).toBe(true);
  });
});
