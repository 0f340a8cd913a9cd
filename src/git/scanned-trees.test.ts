import { describe, expect, it } from 'vitest';
import {
  HOSTILE_CASES,
  rawCommit,
  rawObject,
  rawTree,
  type RawObject,
} from '../../tests/support/hostile-objects.js';
import { STRICT_FSCK, type FsckPolicy } from './fsck-report.js';
import { DenseIdIndex } from './dense-id-index.js';
import { SHA1 } from './object-format.js';
import { PackFsck, TreeEdgeList, type FsckProblem } from './pack-fsck.js';
import { ScannedTreeCursor, TreeScanner, type ScannedTrees } from './scanned-trees.js';

const RELAXED: FsckPolicy = {
  strict: false,
  ignore: new Set(['hasDotgit', 'zeroPaddedFilemode', 'badTree']),
};

interface Verdict {
  readonly refused: unknown;
  readonly problems: readonly FsckProblem[];
  /** Each tree's graph edges and whether it parsed to its end. */
  readonly edges: readonly (readonly number[])[];
  readonly externalLinks: readonly (readonly [string, string])[];
  readonly pendingDotfiles: readonly unknown[];
}

/**
 * `objects` through one `PackFsck` as an ingest adds them; with `batch`, the trees are scanned by
 * a `TreeScanner` first (`batch` objects per batch, as the decode thread sends them) and replayed.
 */
function verdict(objects: readonly RawObject[], policy: FsckPolicy, batch?: number): Verdict {
  const problems: FsckProblem[] = [];
  const treeEdges = new TreeEdgeList();
  const checker = new PackFsck(SHA1, policy, (problem) => problems.push(problem), {
    ids: new DenseIdIndex(SHA1.rawLength),
    treeEdges,
  });
  const edges: number[][] = [];
  const scanner = new TreeScanner(SHA1, policy);
  for (let start = 0; start < objects.length; start += batch ?? objects.length) {
    const part = objects.slice(start, start + (batch ?? objects.length));
    let cursor: ScannedTreeCursor | undefined;
    if (batch !== undefined) {
      for (const object of part) if (object.type === 'tree') scanner.scan(object.data);
      cursor = new ScannedTreeCursor(scanner.take());
    }
    for (const object of part) {
      checker.add(object.id, object.type, object.data, undefined, 0, cursor);
      if (object.type === 'tree')
        edges.push([...treeEdges.values.subarray(0, treeEdges.count), treeEdges.whole ? 1 : 0]);
    }
    if (cursor) expect(cursor.done).toBe(true);
  }
  const { externalLinks, pendingDotfiles } = checker.finishPack();
  return {
    refused: checker.refused,
    problems,
    edges,
    externalLinks: [...externalLinks],
    pendingDotfiles,
  };
}

function expectSameVerdicts(objects: readonly RawObject[]): void {
  for (const policy of [STRICT_FSCK, RELAXED]) {
    const direct = verdict(objects, policy);
    for (const batch of [1, 2, objects.length]) expect(verdict(objects, policy, batch)).toEqual(direct);
  }
}

describe('trees scanned on another thread (TreeScanner, ScannedTreeCursor)', () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))(
    '%s: the same refusal, findings, links and edges as the scan in PackFsck',
    (_name, testCase) => {
      expectSameVerdicts(testCase.objects);
    },
  );

  it('gives the same verdicts for mutated and truncated trees', () => {
    const blob = rawObject('blob', 'x\n');
    const modules = rawObject('blob', '[submodule "a"]\n\tpath = a\n\turl = https://example.com/a\n');
    const inner = rawTree([['100644', 'file', blob.id]]);
    const base = rawTree([
      ['100644', '.gitattributes', blob.id],
      ['100644', '.gitmodules', modules.id],
      ['40000', 'dir', inner.id],
      ['100755', 'run', blob.id],
      ['160000', 'sub', blob.id],
      ['120000', 'z-link', blob.id],
    ]);
    let seed = 4242;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    const alphabet = Buffer.from('0147 ./\\\u0000gGiItT~1a');
    for (let round = 0; round < 150; round++) {
      const data = Buffer.from(base.data);
      for (let edit = 1 + (random() % 3); edit > 0; edit--)
        data[random() % data.length] = alphabet[random() % alphabet.length] as number;
      const cut = random() % 4 === 0 ? data.subarray(0, random() % (data.length + 1)) : data;
      const tree = rawObject('tree', Buffer.from(cut));
      expectSameVerdicts([blob, modules, inner, tree, base, rawCommit(tree.id)]);
    }
  });

  it('fails when a batch carries fewer scans than trees, or an entry outside its tree', () => {
    const blob = rawObject('blob', 'x\n');
    const tree = rawTree([['100644', 'a', blob.id]]);
    const checker = new PackFsck(SHA1, STRICT_FSCK);
    const none = new ScannedTreeCursor(new TreeScanner(SHA1, STRICT_FSCK).take());
    expect(() => checker.add(tree.id, 'tree', tree.data, undefined, 0, none)).toThrow(
      /tree scans do not match/,
    );
    const scanner = new TreeScanner(SHA1, STRICT_FSCK);
    scanner.scan(tree.data);
    const scanned = scanner.take();
    const shifted: ScannedTrees = { ...scanned, values: scanned.values.map((v, i) => (i === 3 ? v + 5 : v)) };
    expect(() =>
      checker.add(tree.id, 'tree', tree.data, undefined, 0, new ScannedTreeCursor(shifted)),
    ).toThrow(/tree scans do not match/);
  });
});
