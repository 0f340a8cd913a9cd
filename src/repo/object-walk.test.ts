import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommit } from '../git/commit.js';
import { parseIdent } from '../git/ident.js';
import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';
import { formatFilterSpec, type ObjectFilter } from '../git/protocol/filter-spec.js';
import { gitText } from '../../tests/support/git-cli.js';
import { dumpObjects } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import {
  makeVariedHistory,
  type VariedHistory,
  type VariedName,
} from '../../tests/support/varied-history.js';
import { CommitCache } from './common-commits.js';
import { HAVE_WALK_BUDGET, walkObjects } from './object-walk.js';
import type { ObjectSource } from './served-repository.js';
import { completeObjectSource } from './single-read-objects.js';

/** A repository's objects in memory, counting the trees the walk reads. */
class GitObjects {
  treeReads = 0;
  readonly source: ObjectSource;

  constructor(private readonly stored: ReadonlyMap<string, { type: string; data: Buffer }>) {
    this.source = completeObjectSource({
      hasObjects: async (ids) => new Set(ids.filter((id) => this.stored.has(id))),
      readObject: async (id) => {
        const object = this.stored.get(id);
        if (!object) return undefined;
        if (object.type === 'tree') this.treeReads++;
        return { type: object.type as ObjectType, content: object.data };
      },
      readCommit: async (id) => {
        const object = this.stored.get(id);
        if (object?.type !== 'commit') return undefined;
        const commit = parseCommit(object.data);
        const committerTime = parseIdent(commit.committer).timestamp;
        return { id, tree: commit.tree, parents: commit.parents, committerTime };
      },
    });
  }
}

interface Case {
  readonly name: string;
  readonly wants: readonly string[];
  readonly haves?: readonly string[];
  /** Shallow boundary commits (their parents are not followed). */
  readonly boundary?: readonly VariedName[];
  readonly clientShallow?: readonly VariedName[];
  readonly filter?: ObjectFilter;
  /** Most trees the walk may read (the cost follows the change). */
  readonly maxTreeReads?: number;
}

/** `<name>` is a named commit/tag of the history; `<name>^{tree}` or `<name>:<path>` a revision. */
const CASES: readonly Case[] = [
  { name: 'one new commit', wants: ['c8'], haves: ['c7'], maxTreeReads: 10 },
  { name: 'a rename and a reverted file', wants: ['c4'], haves: ['c2'] },
  { name: 'a merge whose side branch is new', wants: ['c5'], haves: ['c4'] },
  { name: 'a merge whose side branch the client has', wants: ['c5'], haves: ['c4', 't2'] },
  { name: 'a merge with both sides new', wants: ['c5'], haves: ['c1'] },
  { name: 'a moved subtree', wants: ['c6'], haves: ['c5'], maxTreeReads: 6 },
  { name: 'an edit inside a moved subtree, a new deep directory', wants: ['c7'], haves: ['c6'] },
  {
    name: 'many haves (every tag and branch)',
    wants: ['c8'],
    haves: ['c1', 'c2', 'c3', 't1', 't2', 'c4', 'c5', 'c6', 'c7', 'o1', 'v1'],
    maxTreeReads: 10,
  },
  { name: 'an unrelated have', wants: ['c8'], haves: ['o1'] },
  { name: 'unrelated histories merged', wants: ['m1'], haves: ['c3'] },
  { name: 'a new root commit', wants: ['o1'], haves: ['c8'] },
  { name: 'an annotated tag', wants: ['v2'], haves: ['c5'] },
  { name: 'several wants, no haves', wants: ['c8', 't2', 'o1', 'v1'] },
  { name: 'the client has a descendant', wants: ['c3'], haves: ['c8'] },
  { name: 'a tree and a blob wanted by id', wants: ['c7^{tree}', 'c7:new/deep/dir/file.txt'], haves: ['c5'] },
  ...(
    [
      { kind: 'blob:none' },
      { kind: 'blob:limit', limit: 20 },
      { kind: 'tree', depth: 0 },
      { kind: 'tree', depth: 1 },
      { kind: 'tree', depth: 3 },
    ] as const
  ).map((filter) => ({ name: `filter ${formatFilterSpec(filter)}`, wants: ['c8'], haves: ['c3'], filter })),
  { name: 'a shallow boundary, no haves', wants: ['c8'], boundary: ['c6'] },
  { name: 'a shallow client', wants: ['c8'], haves: ['c5'], clientShallow: ['c5'] },
  {
    name: 'deepening a shallow client',
    wants: ['c5'],
    haves: ['c6'],
    clientShallow: ['c6'],
    boundary: ['c4', 't2'],
  },
];

describe('walkObjects against git rev-list --objects', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let repo: string;
  let history: VariedHistory;
  let objects: GitObjects;

  beforeAll(async () => {
    temp = await makeTempDir('mega-walk-');
    repo = join(temp.path, 'repo');
    history = await makeVariedHistory(repo);
    objects = new GitObjects(await dumpObjects(repo));
  }, 60_000);
  afterAll(async () => {
    await temp?.remove();
  });

  const resolve = (rev: string) => {
    const [name, rest] = /^(\w+)(.*)$/.exec(rev)?.slice(1) ?? [rev, ''];
    const named = history[name as VariedName];
    return gitText(['rev-parse', `${named ?? name}${rest}`], { cwd: repo }) as Promise<ObjectId>;
  };
  const revList = async (args: readonly string[], shallow: readonly VariedName[]) => {
    const file = join(temp.path, 'shallow');
    await writeFile(file, shallow.map((name) => `${history[name]}\n`).join(''));
    const out = await gitText(['--shallow-file', file, 'rev-list', '--objects', ...args], { cwd: repo });
    return new Set(
      out
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.slice(0, 40)),
    );
  };

  it.each(CASES)('$name', async (test) => {
    const wants = await Promise.all(test.wants.map(resolve));
    const haves = await Promise.all((test.haves ?? []).map(resolve));
    const boundary = new Set((test.boundary ?? []).map((name) => history[name] as ObjectId));
    const clientShallow = new Set((test.clientShallow ?? []).map((name) => history[name] as ObjectId));
    objects.treeReads = 0;
    const walk = await walkObjects(objects.source, new CommitCache(objects.source), {
      wants,
      haves,
      boundary,
      clientShallow,
      ...(test.filter ? { filter: test.filter } : {}),
    });
    const sent = walk.objects.map((object) => object.id);
    expect(new Set(sent).size).toBe(sent.length);

    // The boundary and the client's shallow commits both cut history, for git as for the walk.
    const cut = [...(test.boundary ?? []), ...(test.clientShallow ?? [])];
    const filter = test.filter ? [`--filter=${formatFilterSpec(test.filter)}`] : [];
    // Wanted trees and blobs are sent whatever the filter (upload-pack sends what is asked for).
    const provided = test.filter ? ['--filter-provided-objects'] : [];
    const needed = await revList([...filter, ...wants, '--not', ...haves], cut);
    const reachable = await revList([...filter, ...provided, ...wants], cut);
    const theirs = haves.length > 0 ? await revList(haves, test.clientShallow ?? []) : new Set<string>();

    // Everything git would send is sent; nothing is sent that the wants do not reach (through the
    // filter); what the walk says the client has, it has.
    expect([...needed].filter((id) => !sent.includes(id as ObjectId))).toEqual([]);
    expect(sent.filter((id) => !reachable.has(id) && !wants.includes(id))).toEqual([]);
    expect([...walk.clientHas].filter((id) => !theirs.has(id))).toEqual([]);
    if (haves.length === 0) expect(new Set(sent)).toEqual(needed);
    if (test.maxTreeReads !== undefined) expect(objects.treeReads).toBeLessThanOrEqual(test.maxTreeReads);
  });

  it('sends again only what the client holds in directories that did not change', async () => {
    // c8 copies y.txt into x.txt (the client's version of that directory is read: not sent) and
    // vendor/pkg3/f1.txt into new/copy.txt (vendor/ is not compared: sent again).
    const walk = await walkObjects(objects.source, new CommitCache(objects.source), {
      wants: [history.c8 as ObjectId],
      haves: [history.c7 as ObjectId],
      boundary: new Set(),
    });
    const needed = await revList([history.c8, '--not', history.c7], []);
    const extra = walk.objects.filter((object) => !needed.has(object.id));
    expect(extra.map((object) => object.id)).toEqual([await resolve('c7:vendor/pkg3/f1.txt')]);
  });
});

describe('walkObjects on a commit dated before the history it extends', () => {
  /** A chain of `length` commits one minute apart (one tree, one blob each), counting commit reads. */
  const chain = (length: number) => {
    const stored = new Map<string, { type: string; data: Buffer }>();
    const times = new Map<string, number>();
    let commitReads = 0;
    const add = (type: string, data: Buffer | string) => {
      const bytes = Buffer.from(data);
      const id = createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex');
      stored.set(id, { type, data: bytes });
      return id as ObjectId;
    };
    const commit = (parents: readonly ObjectId[], time: number, label: string) => {
      const blob = add('blob', `${label}\n`);
      const tree = add('tree', Buffer.concat([Buffer.from('100644 f\0'), Buffer.from(blob, 'hex')]));
      const ident = `A <a@example.com> ${time} +0000`;
      const lines = parents.map((parent) => `parent ${parent}\n`).join('');
      const id = add('commit', `tree ${tree}\n${lines}author ${ident}\ncommitter ${ident}\n\n${label}\n`);
      times.set(id, time);
      return id;
    };
    const ids: ObjectId[] = [];
    for (let i = 0; i < length; i++) ids.push(commit(ids.slice(-1), 1_700_000_000 + i * 60, `c${i}`));
    const source = completeObjectSource({
      hasObjects: async (wanted) => new Set(wanted.filter((id) => stored.has(id))),
      readObject: async (id) => {
        const object = stored.get(id);
        return object ? { type: object.type as ObjectType, content: object.data } : undefined;
      },
      readCommit: async (id) => {
        const object = stored.get(id);
        if (object?.type !== 'commit') return undefined;
        commitReads++;
        const parsed = parseCommit(object.data);
        return { id, tree: parsed.tree, parents: parsed.parents, committerTime: times.get(id) ?? 0 };
      },
    });
    return { ids, source, commit, reads: () => commitReads };
  };

  it('sends the new commit without reading the whole history', async () => {
    const history = chain(3000);
    const tip = history.ids[2999] as ObjectId;
    // Dated in the past, like a commit made with a pinned GIT_COMMITTER_DATE.
    const skewed = history.commit([tip], 1_600_000_000, 'skewed');
    const haves = [tip, history.ids[2900] as ObjectId, history.ids[100] as ObjectId];
    const walk = await walkObjects(history.source, new CommitCache(history.source), {
      wants: [skewed],
      haves,
      boundary: new Set(),
    });
    expect(walk.objects.filter((object) => object.type === 'commit').map((object) => object.id)).toEqual([
      skewed,
    ]);
    expect(walk.objects).toHaveLength(3);
    expect(history.reads()).toBeLessThan(HAVE_WALK_BUDGET + 20);
  });

  it('still sends every commit the client lacks when it gives up on dates', async () => {
    const history = chain(3000);
    // Forked far below the client's tip; only an old tag below the fork is a have.
    const fork = history.ids[1000] as ObjectId;
    const side = history.commit([fork], 1_600_000_000, 'side');
    const tip = history.ids[2999] as ObjectId;
    const walk = await walkObjects(history.source, new CommitCache(history.source), {
      wants: [side],
      haves: [tip, history.ids[900] as ObjectId],
      boundary: new Set(),
    });
    const sent = new Set(walk.objects.map((object) => object.id));
    expect(sent.has(side)).toBe(true);
    // A superset: the commits from the fork down to the tag are sent again, nothing below it.
    expect(sent.has(history.ids[901] as ObjectId)).toBe(true);
    expect(sent.has(history.ids[900] as ObjectId)).toBe(false);
    expect(history.reads()).toBeLessThan(HAVE_WALK_BUDGET + 200);
  });
});
