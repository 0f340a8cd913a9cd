import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind } from '../git/tree.js';
import { isDotgit, isNtfsDotgitAt } from '../git/fsck-names.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import { conflict, invalid, tooLarge } from '../platform/errors.js';
import type { PendingObjects } from './pending-objects.js';
import { entryAtPath, replaceAtPath, type EntryValue } from './tree-edit.js';

/**
 * File actions of the commits API (GitLab's `actions[]`), applied one after another to a tree.
 * Each action names one regular file; the API refuses, before anything is stored, what a user
 * could not have meant: a path that escapes or hides in `.git`, two actions on one path, creating
 * a file that exists, changing one that does not, and binary content (which belongs in a push,
 * with LFS for big files).
 */
export type FileAction =
  | {
      readonly action: 'create' | 'update';
      readonly path: string;
      readonly content: Buffer;
      readonly executable?: boolean;
    }
  | { readonly action: 'delete'; readonly path: string }
  | {
      readonly action: 'move';
      readonly path: string;
      readonly previousPath: string;
      /** New content; the moved file keeps its content when absent. */
      readonly content?: Buffer;
      readonly executable?: boolean;
    }
  | { readonly action: 'chmod'; readonly path: string; readonly executable: boolean };

export interface FileActionLimits {
  /** Actions per commit. */
  readonly maxActions: number;
  /** Bytes of one file's content. */
  readonly maxFileBytes: number;
  /** Bytes of all contents together. */
  readonly maxTotalBytes: number;
}

/** The commits API's defaults: GitLab-sized commits, far below a push's limits. */
export const DEFAULT_FILE_ACTION_LIMITS: FileActionLimits = {
  maxActions: 100,
  maxFileBytes: 10 * 1024 * 1024,
  maxTotalBytes: 10 * 1024 * 1024,
};

const MAX_PATH_LENGTH = 4096;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The segments of a file path relative to the edited tree; throws `file_path_invalid`. */
export function fileSegments(path: string): string[] {
  const refuse = (why: string) =>
    invalid('file_path_invalid', `file path ${JSON.stringify(path)}: ${why}`, { path });
  if (path.length === 0) throw refuse('empty');
  if (path.length > MAX_PATH_LENGTH) throw refuse(`longer than ${MAX_PATH_LENGTH} characters`);
  if (path.startsWith('/')) throw refuse('must be relative to the path edited, without a leading /');
  if (CONTROL_CHARACTERS.test(path)) throw refuse('control characters are not allowed');
  if (path.includes('\\')) throw refuse('use / between directories');
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') throw refuse('empty segment (// or a trailing /)');
    if (segment === '.' || segment === '..') throw refuse(`"${segment}" segments are not allowed`);
    const name = Buffer.from(segment);
    if (isDotgit(name, 0, name.length) || isNtfsDotgitAt(name, 0, name.length))
      throw refuse('.git is not allowed');
  }
  return segments;
}

/**
 * Refuses content a text editor cannot have produced: a NUL byte marks binary content, as in
 * git's own binary detection (xdiff's `buffer_is_binary`).
 */
export function requireText(path: string, content: Buffer): void {
  if (content.includes(0))
    throw invalid(
      'binary_content',
      `${path}: binary content (a NUL byte) is refused: push binary files with git`,
      {
        path,
      },
    );
}

/** Checks the list as a whole: count, sizes, text, paths, and one action per path. */
export function checkFileActions(actions: readonly FileAction[], limits: FileActionLimits): void {
  if (actions.length === 0) throw invalid('commit_actions_empty', 'a commit needs at least one action');
  if (actions.length > limits.maxActions)
    throw tooLarge('commit_too_many_actions', `at most ${limits.maxActions} actions per commit`, {
      count: actions.length,
      limit: limits.maxActions,
    });
  let total = 0;
  const touched = new Set<string>();
  const claim = (path: string) => {
    fileSegments(path);
    if (touched.has(path))
      throw invalid('commit_duplicate_path', `${path}: more than one action on this path`, { path });
    touched.add(path);
  };
  for (const action of actions) {
    claim(action.path);
    if (action.action === 'move') claim(action.previousPath);
    const content = 'content' in action ? action.content : undefined;
    if (!content) continue;
    if (content.length > limits.maxFileBytes)
      throw tooLarge('commit_file_too_large', `${action.path}: more than ${limits.maxFileBytes} bytes`, {
        path: action.path,
        size: content.length,
        limit: limits.maxFileBytes,
      });
    total += content.length;
    requireText(action.path, content);
  }
  if (total > limits.maxTotalBytes)
    throw tooLarge('commit_too_large', `the contents add up to more than ${limits.maxTotalBytes} bytes`, {
      size: total,
      limit: limits.maxTotalBytes,
    });
}

/**
 * `tree` with the actions applied in order (new blobs and trees go to `objects`); undefined when
 * the result is empty. Call `checkFileActions` first.
 */
export async function applyFileActions(
  reader: ObjectReader,
  objects: PendingObjects,
  tree: ObjectId,
  actions: readonly FileAction[],
): Promise<ObjectId | undefined> {
  let current: ObjectId | undefined = tree;
  for (const action of actions) {
    const segments = fileSegments(action.path);
    const existing = current ? await fileAt(reader, current, segments, action.path) : undefined;
    let value: EntryValue | undefined;
    switch (action.action) {
      case 'create':
        if (existing) throw fileExists(action.path);
        await requireParentsAreDirectories(reader, current, segments, action.path);
        value = blob(objects, action.content, action.executable ?? false);
        break;
      case 'update':
        if (!existing) throw fileMissing(action.path);
        value = blob(objects, action.content, action.executable ?? existing.mode === FileMode.executable);
        break;
      case 'delete':
        if (!existing) throw fileMissing(action.path);
        value = undefined;
        break;
      case 'chmod':
        if (!existing) throw fileMissing(action.path);
        value = { id: existing.id, mode: action.executable ? FileMode.executable : FileMode.blob };
        break;
      case 'move': {
        const previousSegments = fileSegments(action.previousPath);
        const previous = current
          ? await fileAt(reader, current, previousSegments, action.previousPath)
          : undefined;
        if (!previous) throw fileMissing(action.previousPath);
        if (existing) throw fileExists(action.path);
        current = await replaceAtPath(reader, objects, current, previousSegments, undefined);
        await requireParentsAreDirectories(reader, current, segments, action.path);
        const executable = action.executable ?? previous.mode === FileMode.executable;
        value = action.content
          ? blob(objects, action.content, executable)
          : { id: previous.id, mode: executable ? FileMode.executable : FileMode.blob };
        break;
      }
    }
    current = await replaceAtPath(reader, objects, current, segments, value);
  }
  return current;
}

function blob(objects: PendingObjects, content: Buffer, executable: boolean): EntryValue {
  return { id: objects.put('blob', content), mode: executable ? FileMode.executable : FileMode.blob };
}

/** The regular file at `segments`; a directory, symlink or submodule there is refused. */
async function fileAt(
  reader: ObjectReader,
  tree: ObjectId,
  segments: readonly string[],
  path: string,
): Promise<EntryValue | undefined> {
  const entry = await entryAtPath(reader, tree, segments);
  if (!entry) return undefined;
  if (entryKind(entry.mode) !== 'blob')
    throw conflict('file_path_conflict', `${path} is a ${entryKind(entry.mode)}, not a file`, { path });
  return entry;
}

/** A file cannot be created below another file (the tree edit would silently replace it). */
async function requireParentsAreDirectories(
  reader: ObjectReader,
  tree: ObjectId | undefined,
  segments: readonly string[],
  path: string,
): Promise<void> {
  if (!tree) return;
  for (let depth = 1; depth < segments.length; depth++) {
    const entry = await entryAtPath(reader, tree, segments.slice(0, depth));
    if (!entry) return;
    if (entryKind(entry.mode) !== 'tree') {
      const parent = segments.slice(0, depth).join('/');
      throw conflict('file_path_conflict', `${path}: ${parent} is a file, not a directory`, { path });
    }
  }
}

const fileExists = (path: string) => conflict('file_exists', `${path} already exists: use update`, { path });
const fileMissing = (path: string) => conflict('file_missing', `${path} does not exist`, { path });
