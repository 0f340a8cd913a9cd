import { checkIdent } from './ident.js';
import { parseHeaderBlock, type Header } from './headers.js';
import { isObjectType, type ObjectType } from './object.js';
import { SHA1, type ObjectFormat } from './object-format.js';
import { isObjectId } from './object-id.js';
import { compareTreeEntries, FileMode, parseTree, type TreeEntry } from './tree.js';

/**
 * fsck-style checks (git fsck.c; ids follow `git help fsck` "FSCK MESSAGES"). Severity is git's
 * default; `git fsck --strict` and receive.fsckObjects treat warnings as errors too.
 */
export interface FsckFinding {
  readonly id: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  /** The tree entry name or header concerned, if any. */
  readonly subject?: string;
}

const WARNING_IDS = new Set([
  'badFilemode',
  'zeroPaddedFilemode',
  'hasDot',
  'hasDotdot',
  'hasDotgit',
  'fullPathname',
  'emptyName',
  'nullSha1',
]);
const INFO_IDS = new Set(['badTagName', 'missingTaggerEntry']);

function finding(id: string, message: string, subject?: string): FsckFinding {
  const severity = WARNING_IDS.has(id) ? 'warning' : INFO_IDS.has(id) ? 'info' : 'error';
  return { id, severity, message, ...(subject === undefined ? {} : { subject }) };
}

const STANDARD_MODES = new Set<string>(Object.values(FileMode));

function checkEntryName(entry: TreeEntry): FsckFinding[] {
  const name = entry.name;
  if (name === '') return [finding('emptyName', 'tree entry has an empty name')];
  if (name.includes('/')) return [finding('fullPathname', 'tree entry name contains a slash', name)];
  if (name === '.') return [finding('hasDot', "tree entry named '.'", name)];
  if (name === '..') return [finding('hasDotdot', "tree entry named '..'", name)];
  // Case-insensitive filesystems and the NTFS short name make these equivalent to .git.
  const lower = name.toLowerCase();
  if (lower === '.git' || lower === 'git~1' || lower.replace(/[. ]+$/, '') === '.git') {
    return [finding('hasDotgit', "tree entry named '.git'", name)];
  }
  return [];
}

function checkEntryMode(entry: TreeEntry): FsckFinding[] {
  if (entry.mode.startsWith('0')) {
    return [finding('zeroPaddedFilemode', 'tree entry mode is zero-padded', entry.name)];
  }
  if (!STANDARD_MODES.has(entry.mode)) {
    return [finding('badFilemode', `tree entry has mode ${entry.mode}`, entry.name)];
  }
  return [];
}

export function fsckTree(data: Buffer, format: ObjectFormat = SHA1): FsckFinding[] {
  let entries: TreeEntry[];
  try {
    entries = parseTree(data, format);
  } catch (error) {
    return [finding('badTree', error instanceof Error ? error.message : 'tree cannot be parsed')];
  }
  const findings: FsckFinding[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    findings.push(...checkEntryName(entry), ...checkEntryMode(entry));
    if (entry.id === format.zeroId)
      findings.push(finding('nullSha1', 'tree entry points to the null id', entry.name));
    if (seen.has(entry.name))
      findings.push(finding('duplicateEntries', 'tree has duplicate entries', entry.name));
    seen.add(entry.name);
    const previous = entries[i - 1];
    if (previous && compareTreeEntries(previous, entry) > 0) {
      findings.push(finding('treeNotSorted', 'tree entries are not in git order', entry.name));
    }
  }
  return findings;
}

function checkIdentHeader(header: Header | undefined, name: string, missingId: string): FsckFinding[] {
  if (header?.name !== name) return [finding(missingId, `no ${name} line`)];
  const problem = checkIdent(header.value);
  return problem ? [finding(problem, `${name} line is malformed`, name)] : [];
}

export function fsckCommit(data: Buffer, format: ObjectFormat = SHA1): FsckFinding[] {
  if (data.includes(0)) return [finding('nulInHeader', 'commit contains a NUL byte')];
  let headers: Header[];
  try {
    headers = parseHeaderBlock(data, 'commit').headers;
  } catch (error) {
    return [finding('badObject', error instanceof Error ? error.message : 'commit cannot be parsed')];
  }
  let i = 0;
  const findings: FsckFinding[] = [];
  const tree = headers[i];
  if (tree?.name !== 'tree') return [finding('missingTree', 'commit has no tree line')];
  i++;
  if (!isObjectId(tree.value, format)) findings.push(finding('badTreeSha1', 'commit tree id is malformed'));
  for (; headers[i]?.name === 'parent'; i++) {
    if (!isObjectId(headers[i]!.value, format))
      findings.push(finding('badParentSha1', 'commit parent id is malformed'));
  }
  findings.push(...checkIdentHeader(headers[i], 'author', 'missingAuthor'));
  if (headers[i]?.name === 'author') i++;
  findings.push(...checkIdentHeader(headers[i], 'committer', 'missingCommitter'));
  return findings;
}

export function fsckTag(data: Buffer, format: ObjectFormat = SHA1): FsckFinding[] {
  let headers: Header[];
  try {
    headers = parseHeaderBlock(data, 'tag').headers;
  } catch (error) {
    return [finding('badObject', error instanceof Error ? error.message : 'tag cannot be parsed')];
  }
  const [object, type, tag, tagger] = headers;
  if (object?.name !== 'object') return [finding('missingObject', 'tag has no object line')];
  if (!isObjectId(object.value, format)) return [finding('badObjectSha1', 'tag object id is malformed')];
  if (type?.name !== 'type') return [finding('missingTypeEntry', 'tag has no type line')];
  if (!isObjectType(type.value)) return [finding('badType', 'tag type is not an object type', type.value)];
  if (tag?.name !== 'tag') return [finding('missingTagEntry', 'tag has no tag line')];
  const findings: FsckFinding[] = [];
  if (!isValidRefComponent(tag.value))
    findings.push(finding('badTagName', 'tag name is not a valid ref name', tag.value));
  if (tagger?.name !== 'tagger') findings.push(finding('missingTaggerEntry', 'tag has no tagger line'));
  else findings.push(...checkIdentHeader(tagger, 'tagger', 'missingTaggerEntry'));
  return findings;
}

/** Runs the checks for `type`; blobs have none. */
export function fsckObject(type: ObjectType, data: Buffer, format: ObjectFormat = SHA1): FsckFinding[] {
  if (type === 'tree') return fsckTree(data, format);
  if (type === 'commit') return fsckCommit(data, format);
  if (type === 'tag') return fsckTag(data, format);
  return [];
}

/** A loose subset of git-check-ref-format for one component. */
function isValidRefComponent(name: string): boolean {
  return (
    name.length > 0 &&
    !name.startsWith('.') &&
    !name.endsWith('.lock') &&
    !name.includes('..') &&
    !/[\x00-\x20\x7f~^:?*[\\]/.test(name) &&
    !name.includes('@{')
  );
}
