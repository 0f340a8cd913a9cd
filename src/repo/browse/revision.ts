import { isObjectId, type ObjectId } from '../../git/object-id.js';
import { invalid, notFound } from '../../platform/errors.js';
import type { RefSnapshot } from '../served-repository.js';
import type { ObjectReader } from './object-reader.js';

/** Longest revision string accepted (a ref name or an object id). */
export const MAX_REVISION_LENGTH = 256;

/**
 * Validates a revision as typed by a user: a full object id, a short or full ref name
 * (`main`, `v1.0`, `refs/heads/main`) or `HEAD`. Ref names follow git-check-ref-format, so
 * traversal (`..`), control characters and option-looking values are refused up front.
 */
export function checkRevision(revision: string): string {
  const bad =
    revision === '' ||
    revision.length > MAX_REVISION_LENGTH ||
    revision.startsWith('-') ||
    revision.startsWith('/') ||
    revision.endsWith('/') ||
    revision.endsWith('.lock') ||
    revision.endsWith('.') ||
    revision.includes('..') ||
    revision.includes('//') ||
    revision.includes('@{') ||
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(revision);
  if (bad) throw invalid('revision_invalid', 'invalid revision', { revision: revision.slice(0, 80) });
  return revision;
}

/** The ref a short name means, in git's lookup order (gitrevisions: refname). */
function candidates(revision: string): string[] {
  if (revision.startsWith('refs/')) return [revision];
  return [`refs/heads/${revision}`, `refs/tags/${revision}`, `refs/${revision}`, `refs/remotes/${revision}`];
}

/** The name of the default branch (HEAD's target, else `main`/`master`, else the first branch). */
export function defaultBranch(snapshot: RefSnapshot): string | undefined {
  const names = new Set(snapshot.refs.map((ref) => ref.name));
  if (snapshot.headTarget && names.has(snapshot.headTarget)) return snapshot.headTarget;
  for (const name of ['refs/heads/main', 'refs/heads/master']) if (names.has(name)) return name;
  return snapshot.refs.find((ref) => ref.name.startsWith('refs/heads/'))?.name;
}

/** Resolves a revision to a commit id; a tag is peeled; anything else is a typed not-found. */
export async function resolveCommit(
  revision: string,
  snapshot: RefSnapshot,
  reader: ObjectReader,
): Promise<ObjectId> {
  checkRevision(revision);
  const lowered = revision.toLowerCase();
  let target: ObjectId | undefined;
  if (revision === 'HEAD') {
    const head = defaultBranch(snapshot);
    target = snapshot.refs.find((ref) => ref.name === head)?.target;
  } else if (isObjectId(lowered)) {
    target = lowered;
    if (!(await reader.has(target))) target = undefined;
  } else {
    for (const name of candidates(revision)) {
      target = snapshot.refs.find((ref) => ref.name === name)?.target;
      if (target) break;
    }
  }
  if (!target) throw notFound('revision_not_found', 'revision not found', { revision });
  const peeled = await reader.peel(target);
  if (peeled.type !== 'commit') {
    throw notFound('revision_not_commit', `revision names a ${peeled.type}, not a commit`, { revision });
  }
  return peeled.id;
}
