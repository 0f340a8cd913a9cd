import { describe, expect, it } from 'vitest';
import { isMegaError } from '../../platform/errors.js';
import { hashObject } from '../object.js';
import type { ObjectId } from '../object-id.js';
import { FileMode, parseTree, serializeTree, sortTreeEntries } from '../tree.js';
import { mergeTrees, type MergeObjects } from './merge-trees.js';

/** Objects in a map, and flat trees of `name → text`. */
function store() {
  const objects = new Map<ObjectId, Buffer>();
  const io: MergeObjects = {
    tree: async (id) => parseTree(objects.get(id)!),
    blob: async (id) => objects.get(id)!,
    put: (type, content) => {
      const id = hashObject(type, content);
      objects.set(id, content);
      return id;
    },
  };
  const tree = (files: Record<string, string>): ObjectId =>
    io.put(
      'tree',
      serializeTree(
        sortTreeEntries(
          Object.entries(files).map(([name, text]) => ({
            name,
            mode: FileMode.blob,
            id: io.put('blob', Buffer.from(text)),
          })),
        ),
      ),
    );
  const files = async (id: ObjectId) =>
    Object.fromEntries(
      await Promise.all(
        (await io.tree(id)).map(async (entry) => [entry.name, (await io.blob(entry.id)).toString()]),
      ),
    );
  return { io, tree, files };
}

describe('mergeTrees', () => {
  it('takes a side unread when the other did not change it, and merges files changed on both', async () => {
    const { io, tree, files } = store();
    const base = tree({ a: '1\n2\n3\n4\n5\n', b: 'b\n' });
    const ours = tree({ a: 'one\n2\n3\n4\n5\n', b: 'b\n' });
    const theirs = tree({ a: '1\n2\n3\n4\nfive\n', b: 'b\n', c: 'c\n' });
    const merged = await mergeTrees(io, base, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(await files(merged.tree)).toEqual({ a: 'one\n2\n3\n4\nfive\n', b: 'b\n', c: 'c\n' });
    expect((await mergeTrees(io, base, base, theirs)).tree).toBe(theirs);
  });

  it('writes the empty tree when both sides removed everything', async () => {
    const { io, tree } = store();
    const base = tree({ a: 'a\n' });
    const empty = io.put('tree', Buffer.alloc(0));
    expect(await mergeTrees(io, base, empty, empty)).toEqual({ tree: empty, conflicts: [] });
  });

  it('refuses merges comparing more entries than its bound', async () => {
    const { io, tree } = store();
    const many = (suffix: string) =>
      tree(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, `${i}${suffix}\n`])));
    const error = await mergeTrees(io, many(''), many('o'), many('t'), { maxEntries: 10 }).catch(
      (e: unknown) => e,
    );
    expect(isMegaError(error, 'too_large', 'merge_too_large')).toBe(true);
  });
});
