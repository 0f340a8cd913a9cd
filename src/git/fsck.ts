import { fsckCommitInto, fsckTagInto } from './fsck-commit.js';
import { fsckGitattributesInto, fsckGitmodulesInto } from './fsck-gitmodules.js';
import { STRICT_FSCK, type FsckFinding, type FsckPolicy } from './fsck-report.js';
import { fsckTreeInto, type TreeLinks } from './fsck-tree.js';
import type { ObjectType } from './object.js';
import { SHA1, type ObjectFormat } from './object-format.js';

export { hasErrors, reportedSeverity, STRICT_FSCK } from './fsck-report.js';
export type { FsckFinding, FsckMessageId, FsckPolicy } from './fsck-report.js';

/**
 * git's fsck checks of single objects (fsck.c; ids and default severities from git-fsck(1)
 * "FSCK MESSAGES"). The default policy is `--strict`, what receive.fsckObjects applies. Checks
 * that need other objects (the type an entry's mode requires, `.gitmodules` blobs named by
 * trees) are in `pack-fsck.ts`.
 */
export function fsckTree(
  data: Buffer,
  format: ObjectFormat = SHA1,
  policy: FsckPolicy = STRICT_FSCK,
  links?: TreeLinks,
): FsckFinding[] {
  const out: FsckFinding[] = [];
  fsckTreeInto(data, format, policy, out, links);
  return out;
}

export function fsckCommit(
  data: Buffer,
  format: ObjectFormat = SHA1,
  policy: FsckPolicy = STRICT_FSCK,
): FsckFinding[] {
  const out: FsckFinding[] = [];
  fsckCommitInto(data, format, policy, out);
  return out;
}

export function fsckTag(
  data: Buffer,
  format: ObjectFormat = SHA1,
  policy: FsckPolicy = STRICT_FSCK,
): FsckFinding[] {
  const out: FsckFinding[] = [];
  fsckTagInto(data, format, policy, out);
  return out;
}

/** The checks of a blob that a tree names `.gitmodules`. */
export function fsckGitmodules(data: Buffer, policy: FsckPolicy = STRICT_FSCK): FsckFinding[] {
  const out: FsckFinding[] = [];
  fsckGitmodulesInto(data, policy, out);
  return out;
}

/** The checks of a blob that a tree names `.gitattributes`. */
export function fsckGitattributes(data: Buffer, policy: FsckPolicy = STRICT_FSCK): FsckFinding[] {
  const out: FsckFinding[] = [];
  fsckGitattributesInto(data, policy, out);
  return out;
}

/** Runs the single-object checks for `type`; a blob on its own has none. */
export function fsckObject(
  type: ObjectType,
  data: Buffer,
  format: ObjectFormat = SHA1,
  policy: FsckPolicy = STRICT_FSCK,
): FsckFinding[] {
  if (type === 'tree') return fsckTree(data, format, policy);
  if (type === 'commit') return fsckCommit(data, format, policy);
  if (type === 'tag') return fsckTag(data, format, policy);
  return [];
}
