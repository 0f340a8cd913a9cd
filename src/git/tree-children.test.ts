import { describe, expect, it } from 'vitest';
import type { ObjectId } from './object-id.js';
import { entryKind, parseTree, serializeTree } from './tree.js';
import { forEachTreeChild } from './tree-children.js';

const id = (digit: string) => digit.repeat(40) as ObjectId;

function children(data: Buffer): Array<[string, boolean]> {
  const found: Array<[string, boolean]> = [];
  forEachTreeChild(data, (child, isTree) => found.push([child, isTree]));
  return found;
}

describe('forEachTreeChild', () => {
  const tree = serializeTree([
    { mode: '100644', name: 'a.txt', id: id('1') },
    { mode: '100755', name: 'run', id: id('2') },
    { mode: '120000', name: 'link', id: id('3') },
    { mode: '160000', name: 'sub', id: id('4') },
    { mode: '40000', name: 'dir', id: id('5') },
    { mode: '040000', name: 'padded', id: id('6') },
    { mode: '100664', name: 'n\u00e9', id: id('7') },
  ]);

  it('agrees with parseTree on subtrees and blobs, skipping gitlinks', () => {
    const expected = parseTree(tree)
      .filter((entry) => entryKind(entry.mode) !== 'gitlink')
      .map((entry) => [entry.id, entryKind(entry.mode) === 'tree']);
    expect(children(tree)).toEqual(expected);
    expect(children(tree)).toHaveLength(6);
  });

  it('passes each name as its byte range in the tree', () => {
    const names: string[] = [];
    forEachTreeChild(tree, (_child, _isTree, start, end) => names.push(tree.toString('utf8', start, end)));
    expect(names).toEqual(['a.txt', 'run', 'link', 'dir', 'padded', 'n\u00e9']);
  });

  it('accepts the empty tree', () => {
    expect(children(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses truncated entries', () => {
    for (const cut of [1, 7, 12, tree.length - 1]) {
      expect(() => children(tree.subarray(0, cut))).toThrow(/truncated|octal/);
    }
  });

  it('refuses modes that are not octal or absurdly long', () => {
    expect(() => children(Buffer.from(`10064x name\0${'a'.repeat(20)}`, 'latin1'))).toThrow(/octal/);
    expect(() => children(Buffer.from(`1006444444 name\0${'a'.repeat(20)}`, 'latin1'))).toThrow(/octal/);
    expect(() => children(Buffer.from(` name\0${'a'.repeat(20)}`, 'latin1'))).toThrow(/truncated/);
  });
});
