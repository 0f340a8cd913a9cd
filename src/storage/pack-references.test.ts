import { describe, expect, it } from 'vitest';
import { serializeCommit } from '../git/commit.js';
import { SHA1 } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { serializeTag } from '../git/tag.js';
import { serializeTree } from '../git/tree.js';
import { PackReferences } from './pack-references.js';

const id = (digit: string) => digit.repeat(40) as ObjectId;
const ident = 'A U Thor <author@example.com> 1700000000 +0000';

describe('PackReferences', () => {
  it('collects what commits, trees and tags point to, minus the pack itself', () => {
    const references = new PackReferences(SHA1);
    references.add(
      'commit',
      serializeCommit({
        tree: id('1'),
        parents: [id('2'), id('3')],
        author: ident,
        committer: ident,
        extraHeaders: [],
        message: 'm\n',
      }),
    );
    references.add(
      'tree',
      serializeTree([
        { mode: '100644', name: 'file', id: id('4') },
        { mode: '40000', name: 'sub', id: id('5') },
        { mode: '160000', name: 'module', id: id('6') },
      ]),
    );
    references.add(
      'tag',
      serializeTag({
        object: id('7'),
        type: 'commit',
        tag: 'v1',
        tagger: ident,
        extraHeaders: [],
        message: 'r\n',
      }),
    );
    references.add('blob', Buffer.from('tree 8888888888888888888888888888888888888888\n'));
    // The gitlink (6) is another repository's commit; blobs point at nothing.
    expect(references.outside([id('1'), id('4')]).sort()).toEqual([id('2'), id('3'), id('5'), id('7')]);
  });

  it('reports a malformed id as written, so the connectivity check can never find it', () => {
    const references = new PackReferences(SHA1);
    references.add(
      'commit',
      Buffer.from(`tree not-an-id\nparent ${id('2')}\nauthor ${ident}\ncommitter ${ident}\n\nm\n`),
    );
    expect(references.outside([]).sort()).toEqual([id('2'), 'not-an-id']);
  });

  it('rejects a malformed tree with a typed error', () => {
    const references = new PackReferences(SHA1);
    expect(() => references.add('tree', Buffer.from('100644 file\0short'))).toThrow(
      expect.objectContaining({ code: 'object_bad_tree' }),
    );
  });
});
