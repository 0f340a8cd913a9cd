import { describe, expect, it } from 'vitest';
import { parseConfig } from './fsck-config-parser.js';
import { isDotgit, isDotgitmodules } from './fsck-names.js';
import { isSafeSubmoduleUrl, isValidSubmoduleName, GitattributesLineScanner } from './fsck-gitmodules.js';
import { isValidRefName } from './ref-name.js';
import {
  fsckCommit,
  fsckGitattributes,
  fsckGitmodules,
  fsckTag,
  fsckTree,
  reportedSeverity,
} from './fsck.js';
import { hashObject } from './object.js';
import { SHA1, SHA256 } from './object-format.js';
import { PackFsck } from './pack-fsck.js';
import { RawIdTable } from './raw-id-table.js';

const ID = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
const IDENT = 'A <a@b> 1700000000 +0000';

function tree(...entries: [mode: string, name: string | Buffer, id?: string][]): Buffer {
  return Buffer.concat(
    entries.flatMap(([mode, name, id = ID]) => [
      Buffer.from(`${mode} `),
      Buffer.isBuffer(name) ? name : Buffer.from(name),
      Buffer.from([0]),
      Buffer.from(id, 'hex'),
    ]),
  );
}

const ids = (findings: readonly { id: string }[]) => findings.map((f) => f.id);
const name = (text: string) => Buffer.from(text);

describe('fsck names (git verify_path rules)', () => {
  it.each([
    ['.git', true],
    ['.GiT', true],
    ['git~1', true],
    ['GIT~1', true],
    ['.git.', true],
    ['.git . .', true],
    ['.git::$INDEX_ALLOCATION', true],
    ['.git:stream', true],
    ['.g\u200cit', true],
    ['\u200e.git', true],
    ['.git\ufeff', true],
    ['.gitx', false],
    ['git~2', false],
    ['.git~1', false],
    ['x.git', false],
    ['.gi', false],
  ])('%j is .git: %s', (text, expected) => {
    const bytes = name(text);
    expect(isDotgit(bytes, 0, bytes.length)).toBe(expected);
  });

  it.each([
    ['.gitmodules', true],
    ['.GITMODULES', true],
    ['.gitmodules ..', true],
    ['gitmod~1', true],
    ['GITMOD~4', true],
    ['gitmod~5', false],
    ['gi7eba~1', true],
    ['gi7eba~12', false],
    ['gi7eb~12', true],
    ['.gitmodulesx', false],
    ['.gitmodul\u200des', true],
  ])('%j is .gitmodules: %s', (text, expected) => {
    const bytes = name(text);
    expect(isDotgitmodules(bytes, 0, bytes.length)).toBe(expected);
  });

  it('treats malformed UTF-8 as no HFS match', () => {
    const bytes = Buffer.from([0x2e, 0xe2, 0x80, 0x67, 0x69, 0x74]);
    expect(isDotgit(bytes, 0, bytes.length)).toBe(false);
  });

  it.each([
    ['an ignorable before the dot', [0xe2, 0x80, 0x8c, 0x2e, 0x67, 0x69, 0x74], true],
    ['a BOM after the name', [0x2e, 0x67, 0x69, 0x74, 0xef, 0xbb, 0xbf], true],
    ['an overlong dot', [0xc0, 0xae, 0x67, 0x69, 0x74], false],
    ['a surrogate', [0x2e, 0x67, 0xed, 0xa0, 0x80, 0x69, 0x74], false],
    ['a two-byte letter', [0x2e, 0x67, 0xc3, 0xa9, 0x69, 0x74], false],
    ['a four-byte code point after it', [0x2e, 0x67, 0x69, 0x74, 0xf0, 0x9f, 0x98, 0x80], false],
    ['a code point past U+10FFFF', [0x2e, 0x67, 0x69, 0x74, 0xf4, 0x90, 0x80, 0x80], false],
    ['a slash after it (a path)', [0x2e, 0x67, 0x69, 0x74, 0xe2, 0x80, 0x8d, 0x2f, 0x61], true],
  ])('HFS .git with %s: %s', (_, bytes, expected) => {
    const data = Buffer.from(bytes);
    expect(isDotgit(data, 0, data.length)).toBe(expected);
  });
});

describe('fsckTree', () => {
  it.each([
    ['empty tree', Buffer.alloc(0), []],
    ['truncated id', tree(['100644', 'a']).subarray(0, 25), ['badTree']],
    ['no space after the mode', Buffer.concat([Buffer.from('100644a\0'), Buffer.alloc(20)]), ['badTree']],
    ['empty mode', Buffer.concat([Buffer.from(' a\0'), Buffer.alloc(20, 1)]), ['badTree']],
    ['non-octal mode', Buffer.concat([Buffer.from('10064x a\0'), Buffer.alloc(20, 1)]), ['badTree']],
    [
      'a bad second entry keeps the first one’s findings',
      Buffer.concat([tree(['100644', '.git']), Buffer.from('1')]),
      ['badTree'],
    ],
    [
      'a file and a directory of one name, apart',
      tree(['100644', 'a'], ['100644', 'a.b'], ['40000', 'a']),
      ['duplicateEntries'],
    ],
    ['a directory sorts as if followed by a slash', tree(['100644', 'a.b'], ['40000', 'a']), []],
    [
      'every flag once, in git order',
      tree(['0100644', '.'], ['100644', '..'], ['1', 'a/b', '0'.repeat(40)]),
      ['nullSha1', 'fullPathname', 'hasDot', 'hasDotdot', 'zeroPaddedFilemode', 'badFilemode'],
    ],
    ['a 32-bit wrapped mode that truncates to a standard one', tree(['1100644', 'a']), []],
    ['backslash parts (NTFS separators)', tree(['100644', 'x\\git~1']), ['hasDotgit']],
    ['.gitmodules as a symlink', tree(['120000', '.gitmodules']), ['gitmodulesSymlink']],
    [
      '.gitattributes and .mailmap as symlinks (infos)',
      tree(['120000', '.gitattributes'], ['120000', '.mailmap']),
      ['gitattributesSymlink', 'mailmapSymlink'],
    ],
  ])('%s', (_title, data, expected) => {
    expect(ids(fsckTree(data))).toEqual(expected);
  });

  it('accepts 100664 without --strict only, and honours ignored ids', () => {
    const data = tree(['100664', 'f']);
    expect(fsckTree(data)).toMatchObject([{ id: 'badFilemode', severity: 'warning' }]);
    expect(fsckTree(data, SHA1, { strict: false, ignore: new Set() })).toEqual([]);
    expect(
      fsckTree(tree(['100644', '.git']), SHA1, { strict: true, ignore: new Set(['hasDotgit']) }),
    ).toEqual([]);
    expect(fsckTree(tree(['100644', '.git']), SHA1, { strict: false, ignore: new Set() })).toMatchObject([
      { id: 'hasDotgit', severity: 'warning' },
    ]);
  });

  it('reads SHA-256 trees', () => {
    const id = 'a'.repeat(64);
    expect(fsckTree(tree(['100644', 'a', id]), SHA256)).toEqual([]);
    expect(ids(fsckTree(tree(['100644', 'a', id]), SHA1))).toEqual(['badTree']);
  });

  it('scans a tree of many entries without per-entry findings', () => {
    const entries = Array.from(
      { length: 5000 },
      (_, i) => ['100644', `file${String(i).padStart(5, '0')}`] as [string, string],
    );
    expect(fsckTree(tree(...entries))).toEqual([]);
  });
});

describe('fsckCommit and fsckTag', () => {
  const commit = (headers: string) => Buffer.from(`tree ${ID}\n${headers}\n\nmessage\n`);

  it.each([
    [`author ${IDENT}\ncommitter ${IDENT}`, []],
    [`author A <a@b> 18446744073709551617 +0000\ncommitter ${IDENT}`, ['badDateOverflow']],
    [`author A <a@b> 9223372036854775807 +0000\ncommitter ${IDENT}`, []],
    [`author A <a@b> 9223372036854775808 +0000\ncommitter ${IDENT}`, ['badDateOverflow']],
    [`author A <a@b> 0 +0000\ncommitter ${IDENT}`, []],
    // As C git's fsck reads them (strtoumax): a negative date wraps, minus zero and a sign do not.
    [`author A <a@b> -1 +0000\ncommitter ${IDENT}`, ['badDateOverflow']],
    [`author A <a@b> -0 +0000\ncommitter ${IDENT}`, []],
    [`author A <a@b> +12 +0000\ncommitter ${IDENT}`, []],
    [`author A <a@b> 1000000000000000 +0000\ncommitter ${IDENT}`, []],
    [`author A <a@b>  12 +0000\ncommitter ${IDENT}`, []],
    [`author A <a@b> 12 +000x\ncommitter ${IDENT}`, ['badTimezone']],
    [`author A <a@b> 12 +0000 \ncommitter ${IDENT}`, ['badTimezone']],
    [`author A <a@b> 12\ncommitter ${IDENT}`, ['badDate']],
    [`author A <a<b> 12 +0000\ncommitter ${IDENT}`, ['badEmail']],
    [`author A <a@b> 12 +0000`, ['missingCommitter']],
  ])('%j → %j', (headers, expected) => {
    expect(ids(fsckCommit(commit(headers)))).toEqual(expected);
  });

  it('stops at a NUL in the header, and checks tags', () => {
    expect(fsckCommit(Buffer.from(`tree ${ID}\0\n\n`))).toMatchObject([
      { id: 'nulInHeader', severity: 'error' },
    ]);
    expect(ids(fsckCommit(Buffer.from('')))).toEqual(['unterminatedHeader']);
    const tag = (body: string) => Buffer.from(`object ${ID}\ntype commit\n${body}`);
    expect(ids(fsckTag(tag(`tag v1\ntagger ${IDENT}\n\nm\n`)))).toEqual([]);
    expect(ids(fsckTag(tag(`tag v1\ntagger ${IDENT}\nextra x\n\nm\n`)))).toEqual([]);
    expect(
      ids(fsckTag(tag(`tag v1\ntagger ${IDENT}\nextra x\n\nm\n`), SHA1, { strict: true, ignore: new Set() })),
    ).toEqual([]);
    expect(ids(fsckTag(Buffer.from(`object ${ID}\ntype commit\ntag v1`)))).toEqual(['unterminatedHeader']);
  });
});

describe('.gitmodules and .gitattributes', () => {
  it('parses git config syntax the way git does', () => {
    const seen: [string, string | null][] = [];
    const ok = parseConfig(
      Buffer.from(
        '# comment\n[Submodule "A.b\\"c"]\n\tURL = "x ; y" # note\r\n\tflag\n[core.Sub]\nkey = a\\\n b\\tc\n',
      ),
      (key, value) => seen.push([key, value]),
    );
    expect(ok).toBe(true);
    expect(seen).toEqual([
      ['submodule.A.b"c.url', 'x ; y'],
      ['submodule.A.b"c.flag', null],
      ['core.sub.key', 'a b\tc'],
    ]);
    for (const bad of ['[x', '[x "y]\n', 'a = "open\n', 'a = \\q\n', '=x\n', '\xef\xbb\xbf[a]\n']) {
      expect(
        parseConfig(Buffer.from(bad, 'latin1'), () => undefined),
        bad,
      ).toBe(false);
    }
  });

  it.each([
    ['[submodule "x"]\n\turl = ../a/b\n', []],
    ['[submodule "x"]\n\turl = https://user@example.com/x\n', []],
    ['[submodule "x"]\n\turl = https://ex%0aample.com/x\n', ['gitmodulesUrl']],
    ['[submodule "x"]\n\turl = http::https:///x\n', ['gitmodulesUrl']],
    ['[submodule "x"]\n\turl = ./../../../x\n', []],
    ['[submodule "x"]\n\turl = ../../../../x\n', []],
    ['[submodule "x"]\n\turl = ../../../../:x\n', ['gitmodulesUrl']],
    ['[submodule "x"]\n\turl\n', []],
    ['[submodule "a/../b"]\n\tpath = p\n', ['gitmodulesName']],
    ['[submodule "a..b/c.."]\n\tpath = p\n', []],
    ['[submodule "a\\\\..\\\\b"]\n\tpath = p\n', ['gitmodulesName']],
    ['[submodule ""]\n\tpath = p\n', ['gitmodulesName']],
    ['[submodule "x"]\n\tupdate = checkout\n', []],
    ['[submodule "x"]\n\turl = -u\n[bad', ['gitmodulesUrl', 'gitmodulesParse']],
  ])('%j → %j', (text, expected) => {
    expect(ids(fsckGitmodules(Buffer.from(text)))).toEqual(expected);
  });

  it('checks submodule names and urls like git', () => {
    expect(isValidSubmoduleName('..')).toBe(false);
    expect(isValidSubmoduleName('a/..')).toBe(false);
    expect(isValidSubmoduleName('..a')).toBe(true);
    expect(isSafeSubmoduleUrl('git://x/%0a')).toBe(false);
    expect(isSafeSubmoduleUrl('file:///etc')).toBe(true);
  });

  it('limits .gitattributes lines, whole or streamed', () => {
    expect(ids(fsckGitattributes(Buffer.from(`${'a'.repeat(2047)}\n`)))).toEqual([]);
    expect(ids(fsckGitattributes(Buffer.from(`${'a'.repeat(2048)}\n`)))).toEqual(['gitattributesLineLength']);
    expect(ids(fsckGitattributes(Buffer.from(`x\0${'a'.repeat(4000)}`)))).toEqual([]);
    const scanner = new GitattributesLineScanner();
    expect(scanner.feed(Buffer.from('a'.repeat(1500)))).toBe(false);
    expect(scanner.feed(Buffer.from('a'.repeat(600)))).toBe(true);
  });
});

describe('PackFsck', () => {
  it('checks links by type and names the referring object', () => {
    const blob = Buffer.from('x');
    const blobId = hashObject('blob', blob);
    const data = tree(['40000', 'd', blobId]);
    const checker = new PackFsck(SHA1, { strict: true, ignore: new Set() });
    checker.add(blobId, 'blob', blob);
    checker.add(hashObject('tree', data), 'tree', data);
    expect(checker.finishPack().externalLinks.size).toBe(0);
    expect(checker.refused?.lines).toEqual([
      `object ${hashObject('tree', data)}: ${blobId} is a blob, not a tree`,
    ]);
  });

  it('takes an object’s raw id in place of parsing its hex id', () => {
    const blob = Buffer.from('x');
    const blobId = hashObject('blob', blob);
    const data = tree(['40000', 'd', blobId]);
    const treeId = hashObject('tree', data);
    const checker = new PackFsck(SHA1, { strict: true, ignore: new Set() });
    const rawIds = Buffer.concat([Buffer.from('ab'), Buffer.from(blobId, 'hex'), Buffer.from(treeId, 'hex')]);
    checker.add(blobId, 'blob', blob, rawIds, 2);
    checker.add(treeId, 'tree', data, rawIds, 22);
    expect(checker.finishPack().externalLinks.size).toBe(0);
    // The raw id named the blob: the tree's link to it as a tree is refused, naming the tree.
    expect(checker.refused?.lines).toEqual([`object ${treeId}: ${blobId} is a blob, not a tree`]);
  });

  it('links ids of either case in commit and tag headers, as lowercase ids, and stops at a bad one', () => {
    const upper = 'ABCDEF0123'.repeat(4);
    const commit = Buffer.from(
      `tree ${upper}\nparent ${'2'.repeat(40)}\nparent ${'x'.repeat(40)}\nparent ${'3'.repeat(40)}\n` +
        `author ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
    );
    const tag = Buffer.from(`object ${'C'.repeat(40)}\ntype blob\ntag v1\ntagger ${IDENT}\n\nm\n`);
    // The bad parent id is ignored by fsck; it links nothing, and no parent after it is read.
    const checker = new PackFsck(SHA1, { strict: true, ignore: new Set(['badParentSha1']) });
    checker.add(hashObject('commit', commit), 'commit', commit);
    checker.add(hashObject('tag', tag), 'tag', tag);
    expect(checker.finishPack().externalLinks).toEqual(
      new Map([
        [upper.toLowerCase(), 'tree'],
        ['2'.repeat(40), 'commit'],
        ['c'.repeat(40), 'blob'],
      ]),
    );
    expect(checker.refused).toBeUndefined();
  });

  it('hands links outside the pack to the caller, with the type they need', () => {
    const commit = Buffer.from(
      `tree ${ID}\nparent ${'1'.repeat(40)}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nm\n`,
    );
    const checker = new PackFsck(SHA1, { strict: true, ignore: new Set() });
    checker.add(hashObject('commit', commit), 'commit', commit);
    const { externalLinks } = checker.finishPack();
    expect(externalLinks).toEqual(
      new Map([
        [ID, 'tree'],
        ['1'.repeat(40), 'commit'],
      ]),
    );
    expect(checker.refused).toBeUndefined();
  });

  it('reports git severities: fatal stays an error, info never refuses', () => {
    const policy = { strict: true, ignore: new Set(['nulInHeader', 'badFilemode']) };
    expect(reportedSeverity('nulInHeader', policy)).toBe('error');
    expect(reportedSeverity('badFilemode', policy)).toBeUndefined();
    expect(reportedSeverity('missingTaggerEntry', policy)).toBe('warning');
    expect(reportedSeverity('extraHeaderEntry', policy)).toBeUndefined();
    expect(isValidRefName('refs/tags/v1.0')).toBe(true);
    expect(isValidRefName('refs/tags/a..b')).toBe(false);
    expect(isValidRefName('refs/tags/x.lock')).toBe(false);
  });
});

describe('RawIdTable', () => {
  it('keeps ids and values across growth, and finds what it holds', () => {
    const table = new RawIdTable(20);
    const ids = Array.from({ length: 20_000 }, (_, i) => hashObject('blob', Buffer.from(String(i))));
    for (const [i, id] of ids.entries()) {
      const slot = table.slot(Buffer.from(id, 'hex'), 0);
      table.link[slot] = i + 1;
    }
    expect(table.size).toBe(ids.length);
    for (const [i, id] of ids.entries()) {
      const slot = table.find(Buffer.from(id, 'hex'), 0);
      expect(table.link[slot]).toBe(i + 1);
      expect(table.idAt(slot, SHA1)).toBe(id);
    }
    expect(table.find(Buffer.alloc(20, 7), 0)).toBe(-1);
    expect([...table.slots()].length).toBe(ids.length);
    // The same id read from inside a bigger buffer lands on the same slot.
    const inside = Buffer.concat([Buffer.from('xyz'), Buffer.from(ids[5]!, 'hex')]);
    expect(table.slot(inside, 3)).toBe(table.find(Buffer.from(ids[5]!, 'hex'), 0));
    expect(table.size).toBe(ids.length);
  });
});
