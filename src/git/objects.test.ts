import { describe, expect, it } from 'vitest';
import { parseCommit, serializeCommit, commitHeader } from './commit.js';
import { fsckCommit, fsckObject, fsckTag, fsckTree } from './fsck.js';
import { parseIdent } from './ident.js';
import {
  decodeLooseObject,
  encodeLooseObject,
  hashFramedObjectInto,
  hashObject,
  hashObjectRawInto,
  objectHeader,
  objectHeaderLength,
  writeObjectHeader,
} from './object.js';
import type { ObjectId } from './object-id.js';
import { SHA1 } from './object-format.js';
import { parseTag, serializeTag } from './tag.js';
import { FileMode, parseTree, serializeTree, sortTreeEntries, type TreeEntry } from './tree.js';

const ID_A = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391' as ObjectId;
const ID_B = '4b825dc642cb6eb9a060e54bf8d69288fbee4904' as ObjectId;

const COMMIT_WITH_SIGNATURE = [
  `tree ${ID_B}`,
  `parent ${ID_A}`,
  `parent ${ID_B}`,
  'author A U Thor <author@example.com> 1700000000 +0100',
  'committer C O Mitter <committer@example.com> 1700000001 -0730',
  'encoding ISO-8859-1',
  `mergetag object ${ID_A}`,
  ' type commit',
  ' tag v1',
  ' tagger T <t@example.com> 1700000000 +0000',
  ' ',
  ' signed tag',
  'gpgsig -----BEGIN PGP SIGNATURE-----',
  ' ',
  ' iQEzBAABCAAdFiEE',
  ' -----END PGP SIGNATURE-----',
  'x-unknown value',
  '',
  'subject',
  '',
  'body\n',
].join('\n');

describe('object header and hash', () => {
  it('hashes like git hash-object', () => {
    expect(hashObject('blob', Buffer.alloc(0))).toBe(ID_A);
    expect(hashObject('tree', Buffer.alloc(0))).toBe(ID_B);
    expect(hashObject('blob', Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('round-trips loose objects and rejects bad headers', () => {
    const loose = encodeLooseObject('blob', Buffer.from('hi'));
    expect(loose.toString()).toBe('blob 2\0hi');
    expect(decodeLooseObject(loose).content.toString()).toBe('hi');
    for (const bad of ['blob 3\0hi', 'blub 2\0hi', 'blob 02\0hi', 'blob2\0hi', 'blob 2']) {
      expect(() => decodeLooseObject(Buffer.from(bad))).toThrow();
    }
  });
});

describe('commit', () => {
  it('round-trips gpgsig, mergetag, encoding and unknown headers byte for byte', () => {
    const data = Buffer.from(COMMIT_WITH_SIGNATURE);
    const commit = parseCommit(data);
    expect(commit.parents).toEqual([ID_A, ID_B]);
    expect(commitHeader(commit, 'encoding')).toBe('ISO-8859-1');
    expect(commitHeader(commit, 'gpgsig')).toContain('\n\niQEzBAABCAAdFiEE\n');
    expect(commit.message).toBe('subject\n\nbody\n');
    expect(serializeCommit(commit)).toEqual(data);
    expect(fsckCommit(data)).toEqual([]);
  });

  it('round-trips bytes that are not UTF-8', () => {
    const data = Buffer.concat([
      Buffer.from(
        `tree ${ID_B}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\nencoding ISO-8859-1\n\ncaf`,
      ),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const commit = parseCommit(data);
    expect(commit.textEncoding).toBe('latin1');
    expect(serializeCommit(commit)).toEqual(data);
  });

  it('rejects commits without tree or author', () => {
    expect(() => parseCommit(Buffer.from('author A <a@b> 1 +0000\n\nmsg'))).toThrow(/tree/);
    expect(() => parseCommit(Buffer.from(`tree ${ID_B}\n\nmsg`))).toThrow(/author/);
    // Headers out of git's order, or one missing after parents, are refused the same way.
    expect(() =>
      parseCommit(Buffer.from(`tree ${ID_B}\nparent ${ID_A}\nauthor A <a@b> 1 +0000\n\nm`)),
    ).toThrow(/committer/);
    expect(() =>
      parseCommit(Buffer.from(`tree ${ID_B}\ncommitter A <a@b> 1 +0000\nauthor A <a@b> 1 +0000\n\nm`)),
    ).toThrow(/author/);
    expect(() =>
      parseCommit(
        Buffer.from(`parent ${ID_A}\ntree ${ID_B}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nm`),
      ),
    ).toThrow(/tree/);
  });

  it('reads parents in order and keeps a parent line after the author as an extra header', () => {
    const commit = parseCommit(
      Buffer.from(
        `tree ${ID_B}\nparent ${ID_A}\nparent ${ID_B}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 2 +0000\nparent ${ID_A}\n\nm`,
      ),
    );
    expect(commit.parents).toEqual([ID_A, ID_B]);
    expect(commit.author).toBe('A <a@b> 1 +0000');
    expect(commit.committer).toBe('C <c@d> 2 +0000');
    expect(commit.extraHeaders).toEqual([{ name: 'parent', value: ID_A }]);
  });

  it.each([
    ['author A <a@b> 1 +0000', []],
    ['author A a@b> 1 +0000', ['badName']],
    ['author A U Thor 1 +0000', ['missingEmail']],
    ['author A<a@b> 1 +0000', ['missingSpaceBeforeEmail']],
    ['author A <a@b>1 +0000', ['missingSpaceBeforeDate']],
    ['author A <a@b> x +0000', ['badDate']],
    ['author A <a@b> 1 0000', ['badTimezone']],
    ['author A <a@b> 01 +0000', ['zeroPaddedDate']],
  ])('fsck of %j finds %j', (authorLine, ids) => {
    const data = Buffer.from(`tree ${ID_B}\n${authorLine}\ncommitter A <a@b> 1 +0000\n\nm\n`);
    expect(fsckCommit(data).map((f) => f.id)).toEqual(ids);
  });

  it('fsck reports missing headers and bad ids', () => {
    expect(fsckCommit(Buffer.from('author A <a@b> 1 +0000\n\n')).map((f) => f.id)).toEqual(['missingTree']);
    const badParent = `tree ${ID_B}\nparent xyz\nauthor A <a@b> 1 +0000\n\n`;
    // git stops at the first error of a commit.
    expect(fsckCommit(Buffer.from(badParent)).map((f) => f.id)).toEqual(['badParentSha1']);
  });

  it('parses idents', () => {
    expect(parseIdent('A U Thor <a@example.com> 1700000000 -0130')).toEqual({
      name: 'A U Thor',
      email: 'a@example.com',
      timestamp: 1700000000,
      timezone: '-0130',
    });
    expect(() => parseIdent('nobody')).toThrow(expect.objectContaining({ code: 'object_bad_ident' }));
  });
});

describe('tag', () => {
  const signed = `object ${ID_A}\ntype commit\ntag v1.0\ntagger T <t@e> 1700000000 +0000\n\nrelease\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n`;

  it('round-trips signed and tagger-less tags', () => {
    const tag = parseTag(Buffer.from(signed));
    expect(tag).toMatchObject({
      object: ID_A,
      type: 'commit',
      tag: 'v1.0',
      tagger: 'T <t@e> 1700000000 +0000',
    });
    expect(serializeTag(tag).toString()).toBe(signed);
    const old = `object ${ID_A}\ntype commit\ntag v0\n\nold\n`;
    expect(serializeTag(parseTag(Buffer.from(old))).toString()).toBe(old);
    expect(fsckTag(Buffer.from(old)).map((f) => f.id)).toEqual(['missingTaggerEntry']);
    expect(fsckTag(Buffer.from(signed))).toEqual([]);
  });

  it.each([
    [`type commit\ntag v\n\n`, 'missingObject'],
    [`object nope\ntype commit\ntag v\n\n`, 'badObjectSha1'],
    [`object ${ID_A}\ntype car\ntag v\n\n`, 'badType'],
    [`object ${ID_A}\ntype commit\ntagger T <t@e> 1 +0000\n\n`, 'missingTagEntry'],
    [`object ${ID_A}\ntype commit\ntag a..b\ntagger T <t@e> 1 +0000\n\n`, 'badTagName'],
  ])('fsck finds %#', (text, id) => {
    expect(fsckTag(Buffer.from(text)).map((f) => f.id)).toContain(id);
  });
});

describe('tree', () => {
  const entry = (mode: string, name: string, id: ObjectId = ID_A): TreeEntry => ({ mode, name, id });

  it('sorts directories as if their names ended with a slash', () => {
    const sorted = sortTreeEntries([
      entry(FileMode.blob, 'a.c'),
      entry(FileMode.tree, 'a', ID_B),
      entry(FileMode.blob, 'a-'),
      entry(FileMode.blob, 'a0'),
      entry(FileMode.gitlink, 'sub'),
      entry(FileMode.blob, 'B'),
    ]);
    expect(sorted.map((e) => e.name)).toEqual(['B', 'a-', 'a.c', 'a', 'a0', 'sub']);
  });

  it('round-trips legacy and zero-padded modes and non-UTF-8 names', () => {
    const raw = Buffer.concat([
      Buffer.from('100664 legacy\0'),
      Buffer.from(ID_A, 'hex'),
      Buffer.from('040000 padded\0'),
      Buffer.from(ID_B, 'hex'),
      Buffer.from('100644 n'),
      Buffer.from([0xff, 0]),
      Buffer.from(ID_A, 'hex'),
    ]);
    const entries = parseTree(raw);
    expect(entries.map((e) => e.mode)).toEqual(['100664', '040000', '100644']);
    expect(entries[2]?.rawName).toEqual(Buffer.from([0x6e, 0xff]));
    expect(serializeTree(entries)).toEqual(raw);
    expect(fsckTree(raw).map((f) => f.id)).toEqual(['zeroPaddedFilemode', 'badFilemode', 'treeNotSorted']);
  });

  it.each([
    [[entry(FileMode.blob, '.git')], ['hasDotgit']],
    [[entry(FileMode.blob, '.GIT')], ['hasDotgit']],
    [[entry(FileMode.blob, 'git~1')], ['hasDotgit']],
    [[entry(FileMode.blob, '.')], ['hasDot']],
    [[entry(FileMode.blob, '..')], ['hasDotdot']],
    [[entry(FileMode.blob, 'a/b')], ['fullPathname']],
    // git's tree parser refuses an empty name before fsck looks at names.
    [[entry(FileMode.blob, '')], ['badTree']],
    [[entry('100600', 'x')], ['badFilemode']],
    [[entry(FileMode.blob, 'x', '0'.repeat(40) as ObjectId)], ['nullSha1']],
    [[entry(FileMode.blob, 'x'), entry(FileMode.blob, 'x')], ['duplicateEntries']],
    [[entry(FileMode.blob, 'b'), entry(FileMode.blob, 'a')], ['treeNotSorted']],
    [[entry(FileMode.blob, 'a'), entry(FileMode.tree, 'b', ID_B), entry(FileMode.gitlink, 'c')], []],
  ])('fsck finds %#', (entries, ids) => {
    expect(fsckTree(serializeTree(entries)).map((f) => f.id)).toEqual(ids);
  });

  it.each([
    ['missing NUL', Buffer.from('100644 name')],
    ['short id', Buffer.concat([Buffer.from('100644 a\0'), Buffer.alloc(5)])],
    ['non-octal mode', Buffer.concat([Buffer.from('10x644 a\0'), Buffer.alloc(20)])],
  ])('rejects a tree with %s', (_name, data) => {
    expect(() => parseTree(data)).toThrow(expect.objectContaining({ code: 'object_bad_tree' }));
    expect(fsckObject('tree', data).map((f) => f.id)).toEqual(['badTree']);
  });
});

describe('object ids by raw bytes', () => {
  it.each([0, 9, 10, 99, 100, 12345, 2 ** 40])('measures and writes the header of size %d', (size) => {
    for (const type of ['blob', 'tree', 'commit', 'tag'] as const) {
      const header = objectHeader(type, size);
      expect(objectHeaderLength(type, size)).toBe(header.length);
      const target = Buffer.alloc(header.length + 3);
      expect(writeObjectHeader(type, size, target)).toBe(header.length);
      expect(target.subarray(0, header.length).equals(header)).toBe(true);
    }
  });

  it('hashes to the raw form of the hex id, from a copy or in place after the header', () => {
    for (const content of [Buffer.alloc(0), Buffer.from('hello\n'), Buffer.alloc(2 << 20, 7)]) {
      const id = hashObject('blob', content);
      const target = Buffer.alloc(25, 0xee);
      hashObjectRawInto('blob', content, SHA1, target, 3);
      expect(target.subarray(3, 23).toString('hex')).toBe(id);
      expect([target[2], target[23]]).toEqual([0xee, 0xee]);
      const framed = Buffer.concat([objectHeader('blob', content.length), content]);
      const inPlace = Buffer.alloc(20);
      hashFramedObjectInto(framed, SHA1, inPlace, 0);
      expect(inPlace.toString('hex')).toBe(id);
    }
    const empty = Buffer.alloc(20);
    hashObjectRawInto('blob', Buffer.alloc(0), SHA1, empty, 0);
    expect(empty.toString('hex')).toBe(ID_A);
  });

  it('writes an object header at an offset, for sizes of any digit count', () => {
    for (const size of [0, 9, 10, 99, 100, 123_456_789, 2 ** 40 + 3]) {
      const target = Buffer.alloc(40, 0xee);
      const length = writeObjectHeader('commit', size, target, 5);
      expect(target.subarray(5, 5 + length).toString('latin1')).toBe(`commit ${size}\0`);
      expect([target[4], target[5 + length]]).toEqual([0xee, 0xee]);
    }
  });
});
