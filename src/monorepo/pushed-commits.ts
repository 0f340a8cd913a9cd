import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type { ObjectSource } from '../repo/served-repository.js';

/** Commits listed per merge request at most (the list says `truncated` beyond). */
export const MAX_LISTED_COMMITS = 1000;
/** Commits of the base's history walked at most to know what is not new (a bound for hostile pushes). */
const MAX_BASE_WALK = 10_000;

export interface PushedCommit {
  readonly id: ObjectId;
  readonly parents: readonly ObjectId[];
  readonly subject: string;
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string; readonly time: number };
}

export interface PushedCommits {
  /** Oldest first (parents before children, first parents first). */
  readonly commits: readonly PushedCommit[];
  readonly truncated: boolean;
}

/**
 * Control characters a title or option never keeps: NUL above all, which git allows in a message
 * body (fsck checks only headers) but PostgreSQL cannot store in text.
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export function stripControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}

/** First non-empty line of a commit message, without control characters. */
export function subjectOf(message: string): string {
  const line =
    stripControlCharacters(message)
      .split('\n')
      .find((text) => text.trim() !== '') ?? '';
  return line.trim();
}

/**
 * The commits reachable from `head` and not from `base` (what a push proposes on top of the view
 * commit it was based on), oldest first: a depth-first walk that emits parents before children,
 * so a linear history comes out in the order it was written. At most `limit` commits; the base's
 * history is walked at most `MAX_BASE_WALK` commits deep.
 */
export async function commitsBetween(
  objects: ObjectSource,
  head: ObjectId,
  base: ObjectId | undefined,
  limit = MAX_LISTED_COMMITS,
): Promise<PushedCommits> {
  const excluded = base ? await ancestry(objects, base, MAX_BASE_WALK) : new Set<ObjectId>();
  const reader = new ObjectReader(objects);
  const emitted: PushedCommit[] = [];
  const visited = new Set<ObjectId>();
  let truncated = false;
  // Iterative post-order: a commit is emitted after all its (new) parents.
  const stack: Array<{ id: ObjectId; commit?: PushedCommit; next: number }> = [{ id: head, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (!top.commit) {
      if (visited.has(top.id) || excluded.has(top.id)) {
        stack.pop();
        continue;
      }
      visited.add(top.id);
      const read = await readPushedCommit(reader, top.id);
      if (!read) {
        stack.pop();
        continue;
      }
      top.commit = read;
      if (visited.size > limit) truncated = true;
    }
    const parent = truncated ? undefined : top.commit.parents[top.next++];
    if (parent !== undefined) {
      if (!visited.has(parent) && !excluded.has(parent)) stack.push({ id: parent, next: 0 });
      continue;
    }
    stack.pop();
    emitted.push(top.commit);
  }
  if (emitted.length > limit) {
    truncated = true;
    emitted.splice(0, emitted.length - limit);
  }
  return { commits: emitted, truncated };
}

/** `start` and its ancestors, at most `max` commits. */
async function ancestry(objects: ObjectSource, start: ObjectId, max: number): Promise<Set<ObjectId>> {
  const seen = new Set<ObjectId>([start]);
  const queue: ObjectId[] = [start];
  while (queue.length > 0 && seen.size < max) {
    const commit = await objects.readCommit(queue.shift()!);
    for (const parent of commit?.parents ?? []) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent);
    }
  }
  return seen;
}

async function readPushedCommit(reader: ObjectReader, id: ObjectId): Promise<PushedCommit | undefined> {
  const commit = await reader.commit(id).catch(() => undefined);
  if (!commit) return undefined;
  return {
    id,
    parents: commit.parents,
    subject: subjectOf(commit.message),
    message: stripControlCharacters(commit.message),
    author: parseIdent(commit.author),
  };
}

/** `Name <email> 1700000000 +0100` → its parts (lenient: a malformed line keeps what it can). */
export function parseIdent(line: string): PushedCommit['author'] {
  const match = /^(.*?)\s*<([^>]*)>\s*(\d+)?/.exec(line);
  return {
    name: stripControlCharacters(match?.[1] ?? line).trim(),
    email: stripControlCharacters(match?.[2] ?? ''),
    time: Number(match?.[3] ?? 0),
  };
}
