import { describe, expect, it } from 'vitest';
import { DenseIdIndex } from './dense-id-index.js';
import { hashObject } from './object.js';
import { SHA1, SHA256 } from './object-format.js';
import type { ObjectId } from './object-id.js';
import { ObjectGraph } from './object-graph.js';
import { PackFsck, TreeEdgeList } from './pack-fsck.js';
import { newTreeEntry, readTreeEntry, type TreeEntry } from './tree-entry-scanner.js';

const STRICT = { strict: true, ignore: new Set<string>() };

function tree(rawLength: number, ...entries: [mode: string, name: string, fill?: number][]): Buffer {
  return Buffer.concat(
    entries.flatMap(([mode, name, fill = 1]) => [
      Buffer.from(`${mode} ${name}\0`, 'latin1'),
      Buffer.alloc(rawLength, fill),
    ]),
  );
}

/** Every entry of `data` until one does not parse: the entries and whether the end was reached. */
function scan(data: Buffer, rawLength: number): { entries: TreeEntry[]; whole: boolean } {
  const entries: TreeEntry[] = [];
  const entry = newTreeEntry();
  let pos = 0;
  while (pos < data.length) {
    if (!readTreeEntry(data, pos, rawLength, entry)) return { entries, whole: false };
    // The scanner must always move forward and stay inside the bytes, whatever they are.
    expect(entry.next).toBeGreaterThan(pos);
    expect(entry.next).toBeLessThanOrEqual(data.length);
    expect(data[entry.nameEnd]).toBe(0);
    expect(entry.nameEnd).toBeGreaterThan(entry.nameStart);
    entries.push({ ...entry });
    pos = entry.next;
  }
  return { entries, whole: true };
}

describe.each([SHA1, SHA256])('readTreeEntry (%s)', (format) => {
  const raw = format.rawLength;

  it('gives the positions of mode, name and raw id, with no string made', () => {
    const data = tree(raw, ['100644', 'a/b\\c\\d', 7], ['40000', 'dir', 9]);
    const { entries, whole } = scan(data, raw);
    expect(whole).toBe(true);
    expect(entries).toHaveLength(2);
    const [file, dir] = entries as [TreeEntry, TreeEntry];
    expect(file.mode).toBe(0o100644);
    expect(data.toString('latin1', file.nameStart, file.nameEnd)).toBe('a/b\\c\\d');
    expect(file.slash).toBe(true);
    expect(file.backslash).toBe(file.nameStart + 3);
    expect(data.subarray(file.nameEnd + 1, file.next)).toEqual(Buffer.alloc(raw, 7));
    expect(dir.mode).toBe(0o40000);
    expect(dir.slash).toBe(false);
    expect(dir.backslash).toBe(-1);
    expect(dir.next).toBe(data.length);
  });

  it('reads an over-long mode as git does: 32 bits, wrapping (fsck reports it, not the scanner)', () => {
    const { entries } = scan(tree(raw, ['1000000000100644', 'a']), raw);
    expect(entries[0]?.mode).toBe(Number(BigInt('0o1000000000100644') & 0xffffffffn));
  });

  it.each([
    ['nothing', () => Buffer.alloc(0)],
    ['a truncated id', () => tree(raw, ['100644', 'a']).subarray(0, -1)],
    ['no NUL before the id', () => Buffer.concat([Buffer.from('100644 a'), Buffer.alloc(raw + 1, 1)])],
    ['no space after the mode', () => Buffer.concat([Buffer.from('100644a\0'), Buffer.alloc(raw, 1)])],
    ['an empty mode', () => Buffer.concat([Buffer.from(' a\0'), Buffer.alloc(raw, 1)])],
    ['a non-octal mode', () => Buffer.concat([Buffer.from('10064x a\0'), Buffer.alloc(raw, 1)])],
    ['an 8 in the mode', () => Buffer.concat([Buffer.from('100648 a\0'), Buffer.alloc(raw, 1)])],
    ['an empty name', () => Buffer.concat([Buffer.from('100644 \0'), Buffer.alloc(raw, 1)])],
    ['a mode alone', () => Buffer.from('100644')],
    ['too short for an id', () => Buffer.from('1 a\0')],
  ])('refuses %s', (_, make) => {
    expect(readTreeEntry(make(), 0, raw, newTreeEntry())).toBe(false);
  });

  it('stops at a bad entry after good ones, and at every cut of a tree but its entry boundaries', () => {
    const data = tree(raw, ['100644', 'a'], ['100755', 'bb'], ['40000', 'c'], ['160000', 'sub']);
    const bounds = new Set(scan(data, raw).entries.map((entry) => entry.next));
    for (let cut = 1; cut < data.length; cut++) {
      const { entries, whole } = scan(data.subarray(0, cut), raw);
      // A cut can look whole only where an id's last bytes happen to be read as a shorter name's:
      // never here, since the ids hold no NUL. So only a cut at an entry's end parses to the end.
      expect(whole).toBe(bounds.has(cut));
      expect(entries.length).toBeLessThanOrEqual(4);
    }
  });

  it('never reads past the end nor stalls on hostile bytes', () => {
    // Names that run into the id bytes, NULs inside ids, spaces and digits everywhere: whatever
    // it accepts, each entry lies inside the bytes and the scan moves on (checked in `scan`).
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    const alphabet = [0, 0x20, 0x30, 0x31, 0x34, 0x37, 0x38, 0x2f, 0x5c, 0x61];
    const valid = tree(raw, ['100644', 'a', 0], ['40000', 'b', 0x20], ['120000', 'c', 0x30]);
    for (let round = 0; round < 3000; round++) {
      const data = Buffer.from(valid);
      const edits = 1 + (random() % 4);
      for (let i = 0; i < edits; i++)
        data[random() % data.length] = alphabet[random() % alphabet.length] as number;
      scan(data.subarray(0, random() % (data.length + 1)), raw);
      const noise = Buffer.alloc(random() % (3 * raw));
      for (let i = 0; i < noise.length; i++) noise[i] = alphabet[random() % alphabet.length] as number;
      scan(noise, raw);
    }
  });
});

describe('one scan for fsck and the graph', () => {
  const blob = Buffer.from('x\n');
  const blobId = hashObject('blob', blob);
  const subtree = Buffer.concat([Buffer.from('100644 f\0'), Buffer.from(blobId, 'hex')]);
  const subtreeId = hashObject('tree', subtree);
  const entries: [string, string, string][] = [
    ['100644', 'a', blobId],
    ['160000', 'b-module', 'c'.repeat(40)],
    ['40000', 'c', subtreeId],
    // No known type: fsck's walk does not follow it, git's rev-list sends it as a blob.
    ['10644', 'd', 'd'.repeat(40)],
    ['120000', 'e', blobId],
  ];
  const top = Buffer.concat(
    entries.map(([mode, name, id]) =>
      Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')]),
    ),
  );
  const topId = hashObject('tree', top);

  it('numbers each entry once, in one index, for fsck’s links and the graph’s edges', () => {
    const ids = new DenseIdIndex(SHA1.rawLength);
    const edges = new TreeEdgeList();
    const graph = new ObjectGraph(SHA1, undefined, ids);
    const checker = new PackFsck(SHA1, { strict: false, ignore: new Set() }, undefined, {
      ids,
      treeEdges: edges,
    });
    const topNumber = checker.add(topId, 'tree', top);
    graph.addChecked(topNumber, 'tree', top, edges);
    expect(edges.count).toBe(4);
    const subNumber = checker.add(subtreeId, 'tree', subtree);
    graph.addChecked(subNumber, 'tree', subtree, edges);
    const blobNumber = checker.add(blobId, 'blob', blob);
    graph.addChecked(blobNumber, 'blob', blob, edges);

    // The same graph as one that parsed the trees itself.
    const alone = new ObjectGraph(SHA1);
    alone.add(topId, 'tree', top);
    alone.add(subtreeId, 'tree', subtree);
    alone.add(blobId, 'blob', blob);
    expect(graph.size).toBe(alone.size);
    expect(ids.size).toBe(alone.size);
    for (const id of [topId, subtreeId]) {
      const [shared, own] = [graph.find(id), alone.find(id)];
      expect(graph.childCount(shared)).toBe(alone.childCount(own));
      for (let i = 0; i < alone.childCount(own); i++) {
        expect(graph.idAt(graph.child(shared, i))).toBe(alone.idAt(alone.child(own, i)));
        expect(graph.childIsTree(shared, i)).toBe(alone.childIsTree(own, i));
      }
    }
    // The gitlink is neither an edge nor looked up; the mode of no type is an edge, no link.
    expect(graph.find('c'.repeat(40) as ObjectId)).toBe(-1);
    const { externalLinks } = checker.finishPack();
    expect(externalLinks).toEqual(new Map());
    expect(checker.refused).toBeUndefined();
  });

  it('keeps fsck’s type checks on the shared numbers, naming the referrer', () => {
    const ids = new DenseIdIndex(SHA1.rawLength);
    const edges = new TreeEdgeList();
    const checker = new PackFsck(SHA1, STRICT, undefined, { ids, treeEdges: edges });
    // The graph numbers a delta base fsck never sees: fsck's arrays must still cover it.
    const graph = new ObjectGraph(SHA1, undefined, ids);
    const wrong = Buffer.concat([Buffer.from('40000 d\0'), Buffer.from(blobId, 'hex')]);
    const wrongId = hashObject('tree', wrong);
    graph.addChecked(checker.add(blobId, 'blob', blob), 'blob', blob, edges, 'e'.repeat(40) as ObjectId);
    graph.addChecked(checker.add(wrongId, 'tree', wrong), 'tree', wrong, edges);
    expect(checker.finishPack().externalLinks.size).toBe(0);
    expect(checker.refused?.lines).toEqual([`object ${wrongId}: ${blobId} is a blob, not a tree`]);
  });

  it('drops the graph at a tree fsck could not parse to its end, even when badTree is ignored', () => {
    const ids = new DenseIdIndex(SHA1.rawLength);
    const edges = new TreeEdgeList();
    const graph = new ObjectGraph(SHA1, undefined, ids);
    const checker = new PackFsck(SHA1, { strict: true, ignore: new Set(['badTree']) }, undefined, {
      ids,
      treeEdges: edges,
    });
    const broken = Buffer.concat([subtree, Buffer.from('100644 cut')]);
    const number = checker.add('a'.repeat(40) as ObjectId, 'tree', broken);
    expect(checker.refused).toBeUndefined();
    expect(edges.whole).toBe(false);
    graph.addChecked(number, 'tree', broken, edges);
    expect(graph.usable).toBe(false);
    // fsck goes on with the index the graph let go of.
    checker.add(subtreeId, 'tree', subtree);
    expect(checker.finishPack().externalLinks).toEqual(new Map([[blobId, 'blob']]));
  });
});
