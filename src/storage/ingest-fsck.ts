import { GitattributesLineScanner } from '../git/fsck-gitmodules.js';
import type { ObjectId } from '../git/object-id.js';
import type { DotfileBlob, FsckRefusal, PackFsck } from '../git/pack-fsck.js';
import { MegaError } from '../platform/errors.js';
import type { ObjectStore } from './object-store.js';

/** Dotfile blobs up to this size are read whole; bigger ones are scanned as a stream. */
const WHOLE_DOTFILE_BYTES = 4 * 1024 * 1024;

/**
 * The part of a pack's fsck that needs the repository (git's index-pack check_objects and
 * fsck_finish): links to objects outside the pack must have the type they require, and every
 * `.gitmodules`/`.gitattributes` blob named by a pushed tree is checked, whether the pack or the
 * repository holds it (a blob neither holds is left to the connectivity check, as git does).
 * Runs inside the ingest's transaction, after the writer finished (so the pack's own objects are
 * readable). Returns the ids the pack points to outside itself; throws `fsck_failed`.
 */
export async function finishPackFsck(
  checker: PackFsck,
  reader: ObjectStore,
  repoId: number,
): Promise<ObjectId[]> {
  const { externalLinks, pendingDotfiles } = checker.finishPack();
  throwIfRefused(checker);
  if (externalLinks.size > 0) {
    const found = await reader.types(repoId, [...externalLinks.keys()]);
    for (const [id, actual] of found) {
      const expected = externalLinks.get(id);
      if (expected !== undefined && expected !== actual) checker.externalTypeMismatch(id, expected, actual);
    }
    throwIfRefused(checker);
  }
  await checkDotfiles(checker, reader, repoId, pendingDotfiles, () => throwIfRefused(checker));
  return [...externalLinks.keys()];
}

/**
 * Checks `.gitmodules`/`.gitattributes` blobs the repository holds (reading big ones as a
 * stream); `after` runs after each (ingest stops at the first refusal).
 */
export async function checkDotfiles(
  checker: PackFsck,
  reader: ObjectStore,
  repoId: number,
  pendingDotfiles: readonly DotfileBlob[],
  after: () => void = () => undefined,
): Promise<void> {
  for (const dotfile of pendingDotfiles) {
    const content = await reader.openContent(repoId, dotfile.id);
    if (!content) continue;
    if (content.type !== 'blob') {
      content.stream.destroy();
      checker.dotfileNotBlob(dotfile.id, dotfile.kind, content.type);
    } else if (content.size <= WHOLE_DOTFILE_BYTES) {
      const parts: Buffer[] = [];
      for await (const chunk of content.stream) parts.push(chunk as Buffer);
      checker.checkDotfile(dotfile.id, Buffer.concat(parts));
    } else {
      // Only `.gitattributes` gets here (a streamed `.gitmodules` is already gitmodulesLarge).
      const scanner = new GitattributesLineScanner();
      for await (const chunk of content.stream) {
        if (scanner.feed(chunk as Buffer)) {
          checker.gitattributesLineTooLong(dotfile.id);
          content.stream.destroy();
          break;
        }
      }
    }
    after();
  }
}

export function throwIfRefused(checker: PackFsck): void {
  const refusal = checker.refused;
  if (refusal) throw fsckError(refusal);
}

/**
 * The error a refused pack fails with: its message is git's line for the first problem
 * (`object <id>: hasDotgit: contains '.git'`), which receive-pack reports as the unpack status;
 * `details.lines` are all of them, printed as `remote: error: …` like git's receive-pack.
 */
export function fsckError(refusal: FsckRefusal): MegaError {
  return new MegaError('invalid', 'fsck_failed', refusal.lines[0] ?? `object ${refusal.object}: fsck error`, {
    object: refusal.object,
    ids: [...refusal.ids],
    lines: [...refusal.lines],
  });
}
