import type { ObjectId } from '../../git/object-id.js';
import { notFound, tooLarge } from '../../platform/errors.js';
import { person, type PersonInfo } from './commit-log.js';
import { diffOps, INSERT, KEEP, splitLines } from './line-diff.js';
import type { ObjectReader } from './object-reader.js';
import { entryAtPath } from './tree-path.js';
import { appendAll } from '../../platform/append-all.js';

/** Commits examined at most by one blame; past it the lines still open stay with their commit, flagged. */
export const MAX_BLAME_COMMITS = 2_000;
/** Largest file blamed (and largest older version compared): the diff is O((N+M)·D). */
export const MAX_BLAME_BYTES = 1024 * 1024;

export interface BlameRange {
  /** 1-based first line in the blamed file. */
  readonly start: number;
  readonly count: number;
  /** The commit that introduced these lines. */
  readonly commit: ObjectId;
  /** 1-based line of `start` in that commit's version of the file (git blame's "source line"). */
  readonly sourceStart: number;
  /**
   * Set when the walk stopped (commit bound, or an older version too large to compare) while these
   * lines were still traced: `commit` is then the oldest commit reached that has them, not
   * necessarily the one that wrote them.
   */
  readonly bounded?: true;
}

export interface BlameCommit {
  readonly id: ObjectId;
  readonly title: string;
  readonly author: PersonInfo;
}

export interface BlameResult {
  readonly commit: ObjectId;
  readonly path: string;
  /** Lines of the file. */
  readonly lines: number;
  /** Consecutive lines with the same origin, in file order, covering every line once. */
  readonly ranges: readonly BlameRange[];
  readonly commits: Readonly<Record<ObjectId, BlameCommit>>;
  /** Commits examined. */
  readonly walked: number;
  /** True when a bound cut the walk short (some ranges are `bounded`). */
  readonly truncated: boolean;
}

/** Lines still looking for their origin, all held by one commit's version of the file. */
interface Suspect {
  readonly commit: ObjectId;
  readonly time: number;
  readonly blob: ObjectId;
  /** [line in the final file, line in this version], both 0-based. */
  lines: Array<[number, number]>;
}

/**
 * Line-by-line origin of a file at `start`, as `git blame` computes it (without rename or copy
 * detection): suspects are taken newest committer date first; a parent holding the identical
 * blob takes every line; otherwise each parent in order takes the lines a line diff finds unchanged
 * against it, and whatever no parent takes was written by the commit itself. Commits reached by
 * several children are merged into one suspect, so each is diffed once.
 */
export async function blameFile(
  reader: ObjectReader,
  start: ObjectId,
  segments: readonly string[],
  options: { maxCommits?: number } = {},
): Promise<BlameResult> {
  const maxCommits = options.maxCommits ?? MAX_BLAME_COMMITS;
  // Never more than a file page shows: the blame view reads the text through the blob route.
  const maxBytes = Math.min(MAX_BLAME_BYTES, reader.displayLimit ?? MAX_BLAME_BYTES);
  const path = segments.join('/');
  const texts = new Map<ObjectId, string[] | undefined>();
  /** The version's lines, or undefined when it is bigger than `MAX_BLAME_BYTES`. */
  const linesOf = async (blob: ObjectId): Promise<string[] | undefined> => {
    if (!texts.has(blob)) {
      const read = await reader.readBounded(blob, 'blob', maxBytes);
      // latin1 keeps one character per byte: lines compare exactly as bytes, whatever the encoding.
      texts.set(blob, read.truncated ? undefined : splitLines(read.content.toString('latin1')));
    }
    return texts.get(blob);
  };
  const blobAt = async (commit: ObjectId): Promise<ObjectId | undefined> => {
    const entry = await entryAtPath(reader, (await reader.commit(commit)).tree, segments);
    return entry && (entry.kind === 'blob' || entry.kind === 'symlink') ? entry.id : undefined;
  };
  const timeOf = async (commit: ObjectId) => person((await reader.commit(commit)).committer).timestamp;

  const headBlob = await blobAt(start);
  if (!headBlob) throw notFound('path_not_found', 'no such file at this revision', { path });
  const headLines = await linesOf(headBlob);
  if (!headLines) {
    throw tooLarge('object_too_large', `file is too large to blame (over ${maxBytes} bytes)`, {
      path,
      limit: maxBytes,
    });
  }
  const origin = new Array<{ commit: ObjectId; source: number; bounded: boolean } | undefined>(
    headLines.length,
  );
  const settle = (suspect: Suspect, lines: ReadonlyArray<[number, number]>, bounded: boolean) => {
    for (const [final, source] of lines) origin[final] = { commit: suspect.commit, source, bounded };
  };

  const queue = new Map<ObjectId, Suspect>();
  const enqueue = async (commit: ObjectId, blob: ObjectId, lines: Array<[number, number]>) => {
    const waiting = queue.get(commit);
    if (waiting) appendAll(waiting.lines, lines);
    else queue.set(commit, { commit, blob, lines, time: await timeOf(commit) });
  };
  await enqueue(
    start,
    headBlob,
    headLines.map((_, index) => [index, index]),
  );

  let walked = 0;
  let truncated = false;
  while (queue.size > 0) {
    if (walked >= maxCommits) {
      for (const suspect of queue.values()) settle(suspect, suspect.lines, true);
      truncated = true;
      break;
    }
    const suspect = newest(queue);
    queue.delete(suspect.commit);
    walked++;
    const parents = (await reader.commit(suspect.commit)).parents;
    const parentBlobs = await Promise.all(parents.map(blobAt));
    const same = parentBlobs.findIndex((blob) => blob === suspect.blob);
    if (same >= 0) {
      await enqueue(parents[same]!, suspect.blob, suspect.lines);
      continue;
    }
    let open = suspect.lines;
    let bounded = false;
    const mine = (await linesOf(suspect.blob))!;
    for (const [index, parent] of parents.entries()) {
      const blob = parentBlobs[index];
      if (!blob || open.length === 0) continue;
      const theirs = await linesOf(blob);
      if (!theirs) {
        bounded = true;
        continue;
      }
      const toParent = unchangedLines(theirs, mine);
      const passed: Array<[number, number]> = [];
      const kept: Array<[number, number]> = [];
      for (const [final, source] of open) {
        const there = toParent[source]!;
        if (there >= 0) passed.push([final, there]);
        else kept.push([final, source]);
      }
      if (passed.length > 0) await enqueue(parent, blob, passed);
      open = kept;
    }
    settle(suspect, open, bounded);
    truncated ||= bounded && open.length > 0;
  }

  const ranges = toRanges(origin);
  const commits: Record<ObjectId, BlameCommit> = {};
  for (const range of ranges) {
    if (commits[range.commit]) continue;
    const commit = await reader.commit(range.commit);
    commits[range.commit] = {
      id: range.commit,
      title: commit.message.split('\n', 1)[0] ?? '',
      author: person(commit.author),
    };
  }
  return { commit: start, path, lines: headLines.length, ranges, commits, walked, truncated };
}

/** The suspect with the newest committer date (git's order: a child before its parents). */
function newest(queue: ReadonlyMap<ObjectId, Suspect>): Suspect {
  let best: Suspect | undefined;
  for (const suspect of queue.values()) if (!best || suspect.time > best.time) best = suspect;
  return best!;
}

/** For each line of `after`: its 0-based line in `before` when the diff keeps it, else -1. */
function unchangedLines(before: readonly string[], after: readonly string[]): Int32Array {
  const map = new Int32Array(after.length).fill(-1);
  let i = 0;
  let j = 0;
  for (const op of diffOps(before, after)) {
    if (op === KEEP) map[j++] = i++;
    else if (op === INSERT) j++;
    else i++;
  }
  return map;
}

function toRanges(
  origin: ReadonlyArray<{ commit: ObjectId; source: number; bounded: boolean } | undefined>,
): BlameRange[] {
  const ranges: BlameRange[] = [];
  let index = 0;
  while (index < origin.length) {
    const first = origin[index]!;
    let end = index + 1;
    while (
      end < origin.length &&
      origin[end]!.commit === first.commit &&
      origin[end]!.bounded === first.bounded &&
      origin[end]!.source === first.source + (end - index)
    ) {
      end++;
    }
    ranges.push({
      start: index + 1,
      count: end - index,
      commit: first.commit,
      sourceStart: first.source + 1,
      ...(first.bounded ? { bounded: true as const } : {}),
    });
    index = end;
  }
  return ranges;
}
