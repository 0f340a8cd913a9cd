import { hashObject, type ObjectType } from '../../src/git/object.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { writePackToBuffer } from './pack-writer.js';

/**
 * Objects that git's fsck refuses (or, for the controls, accepts), built byte by byte so that
 * nothing normalises them on the way: the oracle test packs each case and compares our verdict
 * with `git index-pack --strict`; the interop test and the `hostile` bench push them.
 *
 * A case's `objects` are a complete pack (companions included); `tip` is a commit (or a tag,
 * for tag cases) a ref can point to, so a push of the case is a normal push.
 */
export interface RawObject {
  readonly type: ObjectType;
  readonly data: Buffer;
  readonly id: ObjectId;
}

export interface HostileCase {
  readonly name: string;
  readonly objects: readonly RawObject[];
  /** The object git complains about. */
  readonly culprit: ObjectId;
  /** What the ref of a push would point to. */
  readonly tip: RawObject;
  /** What git does with it (documentation; the oracle test asks git itself). */
  readonly git: 'refuses' | 'accepts';
}

export function rawObject(type: ObjectType, data: Buffer | string): RawObject {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return { type, data: bytes, id: hashObject(type, bytes) };
}

export type Entry = readonly [mode: string, name: string | Buffer, id: ObjectId];

/** A tree with exactly these entries, in this order (no sorting, no checks). */
export function rawTree(entries: readonly Entry[]): RawObject {
  const parts: Buffer[] = [];
  for (const [mode, name, id] of entries) {
    parts.push(Buffer.from(`${mode} `), typeof name === 'string' ? Buffer.from(name, 'utf8') : name);
    parts.push(Buffer.from([0]), Buffer.from(id, 'hex'));
  }
  return rawObject('tree', Buffer.concat(parts));
}

/**
 * `objects` as one pack of whole entries in the order given (no deltas), so the receiver inflates
 * exactly the bytes listed: what the oracle feeds `git index-pack --strict` and what a push sends.
 */
export async function rawPack(objects: readonly RawObject[]): Promise<Buffer> {
  const { pack } = await writePackToBuffer(
    objects.map((object) => ({ kind: 'object', type: object.type, data: object.data, id: object.id })),
    { window: 0 },
  );
  return pack;
}

const IDENT = 'A U Thor <author@example.com> 1700000000 +0000';

export function rawCommit(
  tree: ObjectId,
  headers = `author ${IDENT}\ncommitter ${IDENT}\n`,
  message = 'hostile\n',
): RawObject {
  return rawObject('commit', `tree ${tree}\n${headers}\n${message}`);
}

const BLOB = rawObject('blob', 'content\n');
const EMPTY_TREE = rawTree([]);

/** A case whose culprit is a tree, committed so a branch can point to it. */
function treeCase(
  name: string,
  git: HostileCase['git'],
  entries: readonly Entry[],
  extra: readonly RawObject[] = [],
): HostileCase {
  const tree = rawTree(entries);
  const commit = rawCommit(tree.id);
  return { name, git, objects: [BLOB, EMPTY_TREE, ...extra, tree, commit], culprit: tree.id, tip: commit };
}

/** A case whose culprit is a commit (its tree is the empty tree). */
function commitCase(name: string, git: HostileCase['git'], text: string | Buffer): HostileCase {
  const commit = rawObject('commit', text);
  return { name, git, objects: [BLOB, EMPTY_TREE, commit], culprit: commit.id, tip: commit };
}

/** A case whose culprit is an annotated tag of a clean commit. */
function tagCase(name: string, git: HostileCase['git'], text: (commit: ObjectId) => string): HostileCase {
  const commit = rawCommit(EMPTY_TREE.id);
  const tag = rawObject('tag', text(commit.id));
  return { name, git, objects: [EMPTY_TREE, commit, tag], culprit: tag.id, tip: tag };
}

/** A `.gitmodules` blob at the root of a committed tree. */
function gitmodulesCase(
  name: string,
  git: HostileCase['git'],
  text: string | Buffer,
  entryName = '.gitmodules',
): HostileCase {
  const modules = rawObject('blob', text);
  const tree = rawTree([['100644', entryName, modules.id]]);
  const commit = rawCommit(tree.id);
  return { name, git, objects: [modules, tree, commit], culprit: modules.id, tip: commit };
}

const ZERO = '0'.repeat(40) as ObjectId;
const B = BLOB.id;
const T = EMPTY_TREE.id;
const TAGGER = `tagger ${IDENT}`;
const commitText = (headers: string) => `tree ${T}\n${headers}\n\nmessage\n`;

export const HOSTILE_CASES: readonly HostileCase[] = [
  treeCase('dotgit', 'refuses', [['100644', '.git', B]]),
  treeCase('dotgit-uppercase', 'refuses', [['100644', '.GIT', B]]),
  treeCase('dotgit-ntfs-short-name', 'refuses', [['100644', 'git~1', B]]),
  treeCase('dotgit-trailing-dot', 'refuses', [['100644', '.git.', B]]),
  treeCase('dotgit-trailing-spaces', 'refuses', [['100644', '.git  ', B]]),
  treeCase('dotgit-ntfs-stream', 'refuses', [['100644', '.git::$INDEX_ALLOCATION', B]]),
  treeCase('dotgit-hfs-ignorable', 'refuses', [['100644', '.g\u200cit', B]]),
  treeCase('dotgit-hfs-trailing-ignorable', 'refuses', [['100644', '.GIT\ufeff', B]]),
  treeCase('dotgit-after-backslash', 'refuses', [['100644', 'a\\.git', B]]),
  treeCase('dotgit-directory', 'refuses', [['40000', '.git', T]]),
  treeCase('dot', 'refuses', [['100644', '.', B]]),
  treeCase('dotdot', 'refuses', [['40000', '..', T]]),
  treeCase('slash-in-name', 'refuses', [['100644', 'a/b', B]]),
  treeCase('empty-name', 'refuses', [['100644', '', B]]),
  treeCase('duplicate-entries', 'refuses', [
    ['100644', 'a', B],
    ['100644', 'a', B],
  ]),
  treeCase('file-and-directory-same-name', 'refuses', [
    ['100644', 'a', B],
    ['100644', 'a.c', B],
    ['40000', 'a', T],
  ]),
  treeCase('unsorted', 'refuses', [
    ['100644', 'b', B],
    ['100644', 'a', B],
  ]),
  treeCase('directory-sorts-with-slash', 'refuses', [
    ['40000', 'a', T],
    ['100644', 'a.c', B],
  ]),
  treeCase('zero-padded-mode', 'refuses', [['040000', 'd', T]]),
  treeCase('unknown-mode', 'accepts', [['100600', 'f', B]]),
  treeCase('group-writable-mode', 'accepts', [['100664', 'f', B]]),
  treeCase('null-id', 'refuses', [['100644', 'f', ZERO]]),
  treeCase('directory-mode-on-blob', 'refuses', [['40000', 'd', B]]),
  treeCase('file-mode-on-tree', 'refuses', [['100644', 'f', T]]),
  treeCase('gitmodules-symlink', 'refuses', [['120000', '.gitmodules', B]]),
  treeCase('gitignore-symlink', 'accepts', [['120000', '.gitignore', B]]),
  treeCase('gitlink-to-anything', 'accepts', [['160000', 'sub', '1'.repeat(40) as ObjectId]]),
  treeCase('dotgit-hfs-uppercase-ignorable', 'refuses', [['100644', '\u200e.GiT', B]]),
  treeCase('not-dotgit-short-name-2', 'accepts', [['100644', 'git~2', B]]),
  treeCase('clean-tree', 'accepts', [
    ['100644', '.gitx', B],
    ['100644', 'a', B],
    ['100755', 'b', B],
    ['120000', 'c', B],
    ['40000', 'd', T],
    ['160000', 'e', B],
    ['100644', 'git~2', B],
  ]),
  commitCase('missing-email', 'refuses', commitText(`author A U Thor 1700000000 +0000\ncommitter ${IDENT}`)),
  commitCase('bad-email', 'refuses', commitText(`author A <a@b 1700000000 +0000\ncommitter ${IDENT}`)),
  commitCase('bad-name', 'refuses', commitText(`author A> <a@b> 1700000000 +0000\ncommitter ${IDENT}`)),
  commitCase(
    'missing-space-before-email',
    'refuses',
    commitText(`author A<a@b> 1700000000 +0000\ncommitter ${IDENT}`),
  ),
  commitCase(
    'missing-name-before-email',
    'refuses',
    commitText(`author <a@b> 1700000000 +0000\ncommitter ${IDENT}`),
  ),
  commitCase('bad-date', 'refuses', commitText(`author ${IDENT}\ncommitter A <a@b> yesterday +0000`)),
  commitCase(
    'date-overflow',
    'refuses',
    commitText(`author A <a@b> 99999999999999999999 +0000\ncommitter ${IDENT}`),
  ),
  commitCase('negative-date', 'refuses', commitText(`author A <a@b> -1 +0000\ncommitter ${IDENT}`)),
  commitCase(
    'zero-padded-date',
    'refuses',
    commitText(`author A <a@b> 01700000000 +0000\ncommitter ${IDENT}`),
  ),
  commitCase('bad-timezone', 'refuses', commitText(`author A <a@b> 1700000000 +00\ncommitter ${IDENT}`)),
  commitCase('nul-in-header', 'refuses', commitText(`author ${IDENT}\ncommitter A <a@b>\0 1700000000 +0000`)),
  commitCase('nul-in-body', 'refuses', `tree ${T}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nbody\0after\n`),
  commitCase('unterminated-header', 'refuses', `tree ${T}\nauthor ${IDENT}\ncommitter ${IDENT}`),
  commitCase('missing-tree', 'refuses', `author ${IDENT}\ncommitter ${IDENT}\n\nm\n`),
  commitCase('bad-tree-id', 'refuses', `tree ${T.slice(0, 39)}x\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`),
  commitCase(
    'bad-parent-id',
    'refuses',
    `tree ${T}\nparent nope\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
  ),
  commitCase('missing-author', 'refuses', `tree ${T}\ncommitter ${IDENT}\n\nm\n`),
  commitCase(
    'multiple-authors',
    'refuses',
    `tree ${T}\nauthor ${IDENT}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
  ),
  commitCase('missing-committer', 'refuses', `tree ${T}\nauthor ${IDENT}\n\nm\n`),
  commitCase('tree-is-a-blob', 'refuses', `tree ${B}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`),
  commitCase(
    'parent-is-a-tree',
    'refuses',
    `tree ${T}\nparent ${T}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
  ),
  commitCase('epoch-date', 'accepts', `tree ${T}\nauthor A <a@b> 0 +0000\ncommitter ${IDENT}\n\nm\n`),
  commitCase(
    'uppercase-tree-id',
    'accepts',
    `tree ${T.toUpperCase()}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
  ),
  commitCase(
    'timezone-without-sign',
    'refuses',
    `tree ${T}\nauthor A <a@b> 1 0000\ncommitter ${IDENT}\n\nm\n`,
  ),
  commitCase(
    'clean-commit-with-extra-headers',
    'accepts',
    `tree ${T}\nauthor ${IDENT}\ncommitter ${IDENT}\nencoding latin1\nx-custom value\n continued\n\nm\n`,
  ),
  tagCase('tag-missing-object', 'refuses', () => `type commit\ntag v1\n${TAGGER}\n\nm\n`),
  tagCase('tag-bad-type', 'refuses', (c) => `object ${c}\ntype car\ntag v1\n${TAGGER}\n\nm\n`),
  tagCase('tag-missing-tag-line', 'refuses', (c) => `object ${c}\ntype commit\n${TAGGER}\n\nm\n`),
  tagCase(
    'tag-bad-tagger',
    'refuses',
    (c) => `object ${c}\ntype commit\ntag v1\ntagger T <t@e> x +0000\n\nm\n`,
  ),
  tagCase('tag-without-tagger', 'accepts', (c) => `object ${c}\ntype commit\ntag v1\n\nm\n`),
  tagCase('tag-bad-name', 'accepts', (c) => `object ${c}\ntype commit\ntag a..b\n${TAGGER}\n\nm\n`),
  tagCase('tag-wrong-type', 'refuses', (c) => `object ${c}\ntype tree\ntag v1\n${TAGGER}\n\nm\n`),
  gitmodulesCase(
    'gitmodules-url-option',
    'refuses',
    '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch${IFS}pwned\n',
  ),
  gitmodulesCase(
    'gitmodules-path-option',
    'refuses',
    '[submodule "x"]\n\tpath = -x\n\turl = https://example.com/x\n',
  ),
  gitmodulesCase(
    'gitmodules-name-traversal',
    'refuses',
    '[submodule "../../modules/evil"]\n\tpath = x\n\turl = https://example.com/x\n',
  ),
  gitmodulesCase(
    'gitmodules-update-command',
    'refuses',
    '[submodule "x"]\n\tpath = x\n\tupdate = !rm -rf /\n',
  ),
  gitmodulesCase(
    'gitmodules-url-newline',
    'refuses',
    '[submodule "x"]\n\tpath = x\n\turl = ./%0ahost=evil\n',
  ),
  gitmodulesCase(
    'gitmodules-url-escapes-host',
    'refuses',
    '[submodule "x"]\n\tpath = x\n\turl = ../../:evil.example.com/x\n',
  ),
  gitmodulesCase('gitmodules-url-empty-host', 'refuses', '[submodule "x"]\n\tpath = x\n\turl = https:///x\n'),
  gitmodulesCase('gitmodules-lookalike-name', 'refuses', '[submodule "x"]\n\turl = -evil\n', '.GITMODULES'),
  gitmodulesCase('gitmodules-ntfs-short-name', 'refuses', '[submodule "y"]\n\turl = -evil\n', 'GITMOD~1'),
  gitmodulesCase('gitmodules-unparsable', 'accepts', '[submodule "x"\n\turl = -evil\n'),
  gitmodulesCase('gitmodules-quoted-value', 'refuses', '[submodule "x"]\n\turl = "-evil" ; comment\n'),
  gitmodulesCase(
    'gitmodules-hfs-lookalike',
    'refuses',
    '[submodule "h"]\n\turl = -hfs\n',
    '.gitmodul\u200ces',
  ),
  gitmodulesCase('gitmodules-after-backslash', 'refuses', '[submodule "b"]\n\turl = -bs\n', 'sub\\gitmod~1'),
  gitmodulesCase('gitmodules-name-trailing-dots', 'refuses', '[submodule "x/.."]\n\tpath = x\n'),
  gitmodulesCase('gitmodules-git-url-newline', 'refuses', '[submodule "g"]\n\turl = git://host/%0a\n'),
  gitmodulesCase('gitmodules-crlf', 'refuses', '[submodule "c"]\r\n\turl = -crlf\r\n'),
  // git reads blob bytes as signed chars: a BOM is no BOM there, and the file does not parse.
  gitmodulesCase('gitmodules-bom', 'accepts', '\ufeff[submodule "c"]\n\turl = -bom\n'),
  gitmodulesCase(
    'gitmodules-0xff-ends-it',
    'accepts',
    Buffer.from('[submodule "f"]\n\xff\turl = -ff\n', 'latin1'),
  ),
  gitmodulesCase(
    'gitmodules-clean',
    'accepts',
    '[submodule "lib"]\n\tpath = lib\n\turl = https://example.com/lib.git\n\tupdate = rebase\n',
  ),
  (() => {
    const attributes = rawObject('blob', `${'a'.repeat(3000)} text\n`);
    const tree = rawTree([['100644', '.gitattributes', attributes.id]]);
    const commit = rawCommit(tree.id);
    return {
      name: 'gitattributes-long-line',
      git: 'refuses',
      objects: [attributes, tree, commit],
      culprit: attributes.id,
      tip: commit,
    } satisfies HostileCase;
  })(),
  (() => {
    const inner = rawTree([['100644', 'x', B]]);
    const tree = rawTree([['40000', '.gitmodules', inner.id]]);
    const commit = rawCommit(tree.id);
    return {
      name: 'gitmodules-is-a-tree',
      git: 'refuses',
      objects: [BLOB, inner, tree, commit],
      culprit: inner.id,
      tip: commit,
    } satisfies HostileCase;
  })(),
];

export function hostileCase(name: string): HostileCase {
  const found = HOSTILE_CASES.find((c) => c.name === name);
  if (!found) throw new Error(`no hostile case ${name}`);
  return found;
}
