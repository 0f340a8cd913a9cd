import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommit, serializeCommit } from '../../src/git/commit.js';
import { fsckObject } from '../../src/git/fsck.js';
import { hashObject, type ObjectType } from '../../src/git/object.js';
import { readPack } from '../../src/git/pack-reader.js';
import { parseTag, serializeTag } from '../../src/git/tag.js';
import { parseTree, serializeTree, sortTreeEntries } from '../../src/git/tree.js';
import { git } from '../support/git-cli.js';
import { createFixtureRepo, gitPackOf, type FixtureRepo } from './repo-fixture.js';

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

function roundTrip(type: ObjectType, data: Buffer): Buffer {
  if (type === 'commit') return serializeCommit(parseCommit(data));
  if (type === 'tag') return serializeTag(parseTag(data));
  if (type === 'tree') return serializeTree(parseTree(data));
  return data;
}

describe('object codecs against git-written objects', () => {
  let repo: FixtureRepo;
  const objects: { type: ObjectType; data: Buffer; id: string }[] = [];

  beforeAll(async () => {
    repo = await createFixtureRepo();
    await readPack(once(await gitPackOf(repo.path)), {
      onObject: (object, content) => {
        objects.push({ type: object.type, data: Buffer.from(content.data), id: object.id });
      },
    });
  });
  afterAll(async () => {
    await repo.remove();
  });

  it('parses and re-serialises every object byte for byte', () => {
    expect(new Set(objects.map((o) => o.type))).toEqual(new Set(['commit', 'tree', 'blob', 'tag']));
    for (const object of objects) {
      expect(roundTrip(object.type, object.data).equals(object.data)).toBe(true);
      expect(hashObject(object.type, roundTrip(object.type, object.data))).toBe(object.id);
    }
  });

  it('finds nothing wrong with what git wrote, and trees are in canonical order', () => {
    for (const object of objects) {
      expect(fsckObject(object.type, object.data)).toEqual([]);
      if (object.type === 'tree') {
        const entries = parseTree(object.data);
        expect(sortTreeEntries(entries)).toEqual(entries);
      }
    }
  });

  it('writes trees git agrees with (mktree)', async () => {
    const entries = sortTreeEntries(
      objects
        .filter((o) => o.type === 'blob')
        .slice(0, 5)
        .map((o, i) => ({
          mode: i % 2 ? '100755' : '100644',
          name: `f-${i}${i % 2 ? '.d' : ''}`,
          id: o.id as never,
        })),
    );
    const input = entries.map((e) => `${e.mode} blob ${e.id}\t${e.name}\n`).join('');
    const gitId = (await git(['mktree'], { cwd: repo.path, input })).stdout.toString().trim();
    expect(hashObject('tree', serializeTree(entries))).toBe(gitId);
  });

  it('round-trips a latin-1 commit with an encoding header written by git commit-tree', async () => {
    const tree = objects.find((o) => o.type === 'tree')!.id;
    const message = Buffer.from('caf\u00e9 in latin-1\n', 'latin1');
    const id = (
      await git(['-c', 'i18n.commitEncoding=ISO-8859-1', 'commit-tree', tree], {
        cwd: repo.path,
        input: message,
      })
    ).stdout
      .toString()
      .trim();
    const raw = (await git(['cat-file', 'commit', id], { cwd: repo.path })).stdout;
    const commit = parseCommit(raw);
    expect(commit.extraHeaders).toEqual([{ name: 'encoding', value: 'ISO-8859-1' }]);
    expect(commit.textEncoding).toBe('latin1');
    expect(serializeCommit(commit).equals(raw)).toBe(true);
  });
});
