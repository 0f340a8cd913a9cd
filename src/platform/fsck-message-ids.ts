/**
 * The fsck message ids git reports for objects, with git's default severity (git-fsck(1)
 * "FSCK MESSAGES"; fsck.h of git 2.39, the version the test suite compares against). They live
 * here, below every layer, because configuration validates `git.fsckIgnore` against them and
 * `src/git/fsck*.ts` reports them.
 *
 * - `fatal`: always an error, cannot be relaxed (git: "Cannot demote … to ignore").
 * - `error`: refuses the object.
 * - `warn`: refuses the object under `--strict` (receive.fsckObjects), otherwise printed.
 * - `info`: printed as a warning, never refuses.
 * - `ignore`: not reported unless configured.
 */
export type FsckSeverity = 'fatal' | 'error' | 'warn' | 'info' | 'ignore';

export const FSCK_MESSAGE_DEFAULTS = {
  nulInHeader: 'fatal',
  unterminatedHeader: 'fatal',
  badDate: 'error',
  badDateOverflow: 'error',
  badEmail: 'error',
  badName: 'error',
  badObjectSha1: 'error',
  badParentSha1: 'error',
  badTimezone: 'error',
  badTree: 'error',
  badTreeSha1: 'error',
  badType: 'error',
  duplicateEntries: 'error',
  missingAuthor: 'error',
  missingCommitter: 'error',
  missingEmail: 'error',
  missingNameBeforeEmail: 'error',
  missingObject: 'error',
  missingSpaceBeforeDate: 'error',
  missingSpaceBeforeEmail: 'error',
  missingTag: 'error',
  missingTagEntry: 'error',
  missingTree: 'error',
  missingType: 'error',
  missingTypeEntry: 'error',
  multipleAuthors: 'error',
  treeNotSorted: 'error',
  unknownType: 'error',
  zeroPaddedDate: 'error',
  gitmodulesMissing: 'error',
  gitmodulesBlob: 'error',
  gitmodulesLarge: 'error',
  gitmodulesName: 'error',
  gitmodulesSymlink: 'error',
  gitmodulesUrl: 'error',
  gitmodulesPath: 'error',
  gitmodulesUpdate: 'error',
  gitattributesMissing: 'error',
  gitattributesLarge: 'error',
  gitattributesLineLength: 'error',
  gitattributesBlob: 'error',
  emptyName: 'warn',
  fullPathname: 'warn',
  hasDot: 'warn',
  hasDotdot: 'warn',
  hasDotgit: 'warn',
  nullSha1: 'warn',
  zeroPaddedFilemode: 'warn',
  nulInCommit: 'warn',
  badFilemode: 'info',
  gitmodulesParse: 'info',
  gitignoreSymlink: 'info',
  gitattributesSymlink: 'info',
  mailmapSymlink: 'info',
  badTagName: 'info',
  missingTaggerEntry: 'info',
  extraHeaderEntry: 'ignore',
} as const satisfies Record<string, FsckSeverity>;

export type FsckMessageId = keyof typeof FSCK_MESSAGE_DEFAULTS;

export function isFsckMessageId(text: string): text is FsckMessageId {
  return Object.hasOwn(FSCK_MESSAGE_DEFAULTS, text);
}

/** Why `id` cannot be set to ignore, or undefined when it can. */
export function fsckIgnoreProblem(id: string): string | undefined {
  if (!isFsckMessageId(id)) return `unknown fsck message id '${id}'`;
  if (FSCK_MESSAGE_DEFAULTS[id] === 'fatal') return `fsck message id '${id}' cannot be ignored`;
  return undefined;
}
