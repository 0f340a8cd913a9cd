import { describe, expect, it } from 'vitest';
import { hashObject } from '../../git/object.js';
import type { ObjectId } from '../../git/object-id.js';
import { serializeTree } from '../../git/tree.js';
import type { ObjectType } from '../../git/object.js';
import type { ObjectSource, OpenedObject } from '../served-repository.js';
import { SingleReadObjectSource } from '../single-read-objects.js';
import { readPrefix, utf8Boundary } from './bounded-read.js';
import { ObjectReader } from './object-reader.js';
import { RepositoryBrowser } from './repository-browser.js';
import { codeOf } from '../../../tests/support/mega-errors.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** A virtual object of `size` bytes made of one repeated piece, counting what was produced. */
class CountingObject {
  produced = 0;
  closed = false;

  constructor(
    readonly type: ObjectType,
    readonly size: number,
    private readonly head: Buffer = Buffer.alloc(0),
    private readonly fill = 0x61,
  ) {}

  async *pieces(): AsyncGenerator<Buffer> {
    const piece = Buffer.alloc(MIB, this.fill);
    try {
      if (this.head.length > 0) {
        this.produced += this.head.length;
        yield this.head;
      }
      for (let left = this.size - this.head.length; left > 0; left -= piece.length) {
        const next = left >= piece.length ? piece : piece.subarray(0, left);
        this.produced += next.length;
        yield next;
      }
    } finally {
      this.closed = true;
    }
  }
}

/** Objects that can only be opened in pieces: reading one whole fails the test. */
class CountingSource extends SingleReadObjectSource {
  constructor(private readonly objects: ReadonlyMap<string, CountingObject>) {
    super();
  }

  async hasObjects(ids: readonly ObjectId[]) {
    return new Set(ids.filter((id) => this.objects.has(id)));
  }

  readObject(): Promise<undefined> {
    return Promise.reject(new Error('a display read must not read whole objects'));
  }

  async readCommit() {
    return undefined;
  }

  override async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    const object = this.objects.get(id);
    return object ? { type: object.type, size: object.size, content: object.pieces() } : undefined;
  }
}

function sourceOf(objects: ReadonlyMap<string, CountingObject>): ObjectSource {
  return new CountingSource(objects);
}

const id = (n: number) => n.toString(16).padStart(40, '0') as ObjectId;

describe('readPrefix', () => {
  it('stops pulling pieces once it has the prefix, and ends the stream', async () => {
    const object = new CountingObject('blob', GIB);
    const prefix = await readPrefix(object.pieces(), 3 * MIB + 5);
    expect(prefix.length).toBe(3 * MIB + 5);
    expect(object.produced).toBe(4 * MIB);
    expect(object.closed).toBe(true);
  });

  it('returns a short stream whole and closes a stream it does not read', async () => {
    const small = new CountingObject('blob', 10);
    expect((await readPrefix(small.pieces(), MIB)).toString()).toBe('a'.repeat(10));
    const unread = new CountingObject('blob', GIB);
    const pieces = unread.pieces();
    await pieces.next();
    expect(await readPrefix(pieces, 0)).toHaveLength(0);
    expect(unread.closed).toBe(true);
  });
});

describe('utf8Boundary', () => {
  it.each([
    ['ascii', Buffer.from('abc'), 'abc'],
    ['a whole two-byte character', Buffer.from('aé'), 'aé'],
    ['a cut two-byte character', Buffer.from('aé').subarray(0, 2), 'a'],
    ['a cut three-byte character', Buffer.from('a€').subarray(0, 3), 'a'],
    ['a cut four-byte character', Buffer.from('a😀').subarray(0, 4), 'a'],
    ['a whole four-byte character', Buffer.from('a😀'), 'a😀'],
    ['empty', Buffer.alloc(0), ''],
  ])('keeps %s', (_name, bytes, expected) => {
    expect(utf8Boundary(bytes).toString('utf8')).toBe(expected);
  });
});

describe('ObjectReader display reads', () => {
  it('reads a gigabyte blob up to the display limit only, flagged with its real size', async () => {
    const blob = new CountingObject('blob', GIB);
    const reader = new ObjectReader(sourceOf(new Map([[id(1), blob]])), { displayLimit: 2 * MIB });
    const read = await reader.readBounded(id(1), 'blob');
    expect(read).toMatchObject({ size: GIB, truncated: true });
    expect(read.content.length).toBe(2 * MIB);
    expect(blob.produced).toBeLessThanOrEqual(2 * MIB);
    expect(blob.closed).toBe(true);
  });

  it('refuses trees and tags over the limit without reading past it', async () => {
    const tree = new CountingObject('tree', GIB);
    const tag = new CountingObject('tag', GIB);
    const reader = new ObjectReader(
      sourceOf(
        new Map([
          [id(2), tree],
          [id(3), tag],
        ]),
      ),
      { displayLimit: MIB },
    );
    expect(await codeOf(reader.tree(id(2)))).toBe('object_too_large');
    expect(tree.produced).toBeLessThanOrEqual(MIB);
    expect(await codeOf(reader.peel(id(3)))).toBe('object_too_large');
    expect(tag.produced).toBe(0);
  });

  it('checks the type before reading any content', async () => {
    const blob = new CountingObject('blob', GIB);
    const reader = new ObjectReader(sourceOf(new Map([[id(4), blob]])), { displayLimit: MIB });
    expect(await codeOf(reader.tree(id(4)))).toBe('object_wrong_type');
    expect(blob.produced).toBe(0);
  });

  it('bounds a read given its own limit even without a display limit (b-link checks)', async () => {
    const blob = new CountingObject('blob', GIB);
    const reader = new ObjectReader(sourceOf(new Map([[id(8), blob]])));
    const read = await reader.readBounded(id(8), 'blob', 1100);
    expect(read).toMatchObject({ size: GIB, truncated: true });
    expect(blob.produced).toBeLessThanOrEqual(MIB);
  });

  it('shows a huge commit with its headers and the start of its message', async () => {
    const headers = Buffer.from(
      `tree ${id(9)}\nauthor A <a@example.com> 1700000000 +0000\n` +
        `committer C <c@example.com> 1700000000 +0000\n\nsubject\n\n`,
    );
    const commit = new CountingObject('commit', GIB, headers);
    const reader = new ObjectReader(sourceOf(new Map([[id(5), commit]])), { displayLimit: MIB });
    const parsed = await reader.commit(id(5));
    expect(parsed.tree).toBe(id(9));
    expect(parsed.message.startsWith('subject\n\naaaa')).toBe(true);
    expect(parsed.message.length).toBe(MIB - headers.length + 'subject\n\n'.length);
    expect(reader.cutCommitSize(id(5))).toBe(GIB);
    expect(commit.produced).toBeLessThanOrEqual(MIB + headers.length);
  });

  it('refuses a commit whose headers alone pass the limit', async () => {
    const commit = new CountingObject('commit', GIB, Buffer.from(`tree ${id(9)}\nx-junk `));
    const reader = new ObjectReader(sourceOf(new Map([[id(6), commit]])), { displayLimit: MIB });
    expect(await codeOf(reader.commit(id(6)))).toBe('object_too_large');
  });
});

describe('RepositoryBrowser over a big file', () => {
  const blob = () => new CountingObject('blob', 64 * MIB, Buffer.from('\0binary'), 0x62);
  const repository = (big: CountingObject) => {
    const tree = serializeTree([{ mode: '100644', name: 'big.bin', id: id(7) }]);
    const treeId = hashObject('tree', tree);
    const commitText = Buffer.from(
      `tree ${treeId}\nauthor A <a@example.com> 1700000000 +0000\n` +
        `committer C <c@example.com> 1700000000 +0000\n\nbig\n`,
    );
    const commitId = hashObject('commit', commitText);
    const objects = new Map<string, CountingObject>([
      [id(7), big],
      [treeId, new CountingObject('tree', tree.length, tree)],
      [commitId, new CountingObject('commit', commitText.length, commitText)],
    ]);
    return {
      path: '/big',
      listRefs: async () => ({
        refs: [{ name: 'refs/heads/main', target: commitId }],
        headTarget: 'refs/heads/main',
      }),
      objects: sourceOf(objects),
    };
  };

  it('returns the first bytes of a blob for display, judged binary on them', async () => {
    const big = blob();
    const browser = new RepositoryBrowser(repository(big), { displayLimit: MIB });
    const view = await browser.blob('main', 'big.bin');
    expect(view).toMatchObject({ size: 64 * MIB, truncated: true, binary: true });
    expect(view.content.length).toBe(MIB);
    expect(big.produced).toBeLessThanOrEqual(MIB + 7);
  });

  it('streams a raw download piece by piece, the bytes read ahead included', async () => {
    const big = blob();
    const opened = await new RepositoryBrowser(repository(big), { displayLimit: MIB }).openBlob(
      'main',
      'big.bin',
    );
    expect(opened).toMatchObject({ size: 64 * MIB, binary: true });
    let total = 0;
    let largestPiece = 0;
    for await (const piece of opened.content) {
      total += piece.length;
      largestPiece = Math.max(largestPiece, piece.length);
      // Pieces are handed on as produced: never more than one ahead of the consumer.
      expect(big.produced - total).toBeLessThanOrEqual(MIB);
    }
    expect(total).toBe(64 * MIB);
    expect(largestPiece).toBeLessThanOrEqual(MIB);
  });
});
