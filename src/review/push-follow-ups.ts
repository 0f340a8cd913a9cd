import type { PushOutcome } from '../repo/receive-pack.js';
import type { CloneWalkRecorder } from '../repo/clone-walk-recorder.js';
import type { ServedRepository } from '../repo/served-repository.js';
import type { ReviewEvents } from './review-events.js';

/**
 * What follows every push, whichever transport brought it (smart HTTP, SSH): the clone walk of
 * the new refs is recorded (extended from the previous one when the refs only moved forward), and
 * the moved refs are announced after they were committed (webhooks, mergeability of the merge
 * requests whose targets moved, the search index).
 */
export function followPush(
  deps: { readonly walkRecorder: CloneWalkRecorder; readonly events: ReviewEvents },
  repository: ServedRepository,
  actor: string,
  outcome: PushOutcome,
): void {
  if (outcome.accepted > 0) deps.walkRecorder.schedule(repository, outcome.moved);
  if (outcome.moved.length === 0) return;
  deps.events.emit({
    type: 'push',
    repoPath: repository.path,
    actor,
    refs: outcome.moved.map((update) => ({
      name: update.refName,
      before: update.oldId,
      after: update.newId,
    })),
  });
}
