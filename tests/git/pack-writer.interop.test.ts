import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectType } from '../../src/git/object.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { writePackIndex } from '../../src/git/pack-index.js';
import { readPack } from '../../src/git/pack-reader.js';
import type { PackedContent, PackedObject } from '../../src/git/pack-types.js';
import { writePackToBuffer, type PackWriteEntry, type PackWriterOptions } from '../support/pack-writer.js';
import { git, gitText } from '../support/git-cli.js';
import { createFixtureRepo, gitPackOf, type FixtureRepo } from './repo-fixture.js';

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

interface Decoded {
  readonly object: PackedObject;
  readonly content: PackedContent;
}

async function decode(pack: Buffer): Promise<Decoded[]> {
  const out: Decoded[] = [];
  await readPack(once(pack), {
    onObject: (object, content) => {
      out.push({ object, content: { data: Buffer.from(content.data), raw: Buffer.from(content.raw) } });
    },
  });
  return out;
}

/** Indexes `pack` into a fresh repository with --strict and runs fsck --strict there. */
async function gitAccepts(
  root: string,
  name: string,
  pack: Buffer,
  refs: Record<string, string>,
): Promise<void> {
  const repo = join(root, name);
  await git(['init', '-q', '--bare', repo]);
  const packPath = join(repo, 'objects/pack/incoming.pack');
  await mkdir(join(repo, 'objects/pack'), { recursive: true });
  await writeFile(packPath, pack);
  await git(['index-pack', '--strict', packPath], { cwd: repo });
  for (const [ref, id] of Object.entries(refs)) await git(['update-ref', ref, id], { cwd: repo });
  await git(['fsck', '--strict', '--no-dangling'], { cwd: repo });
}

describe('pack writer against git', () => {
  let repo: FixtureRepo;
  let refs: Record<string, string>;
  let objects: PackWriteEntry[];
  let decoded: Decoded[];

  beforeAll(async () => {
    repo = await createFixtureRepo();
    const refList = await gitText(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: repo.path });
    refs = Object.fromEntries(refList.split('\n').map((line) => line.split(' ') as [string, string]));
    const paths = new Map<string, string>();
    for (const line of (await gitText(['rev-list', '--objects', '--all'], { cwd: repo.path })).split('\n')) {
      const [id, path] = line.split(' ');
      if (id && path) paths.set(id, path);
    }
    decoded = await decode(await gitPackOf(repo.path, ['--delta-base-offset']));
    objects = decoded.map(({ object, content }) => ({
      kind: 'object' as const,
      type: object.type,
      data: content.data,
      ...(paths.has(object.id) ? { path: paths.get(object.id)! } : {}),
    }));
  });
  afterAll(async () => {
    await repo.remove();
  });

  it.each([
    ['OFS deltas', { ofsDelta: true }],
    ['REF deltas', { ofsDelta: false }],
    ['no delta search', { window: 0 }],
    ['shallow chains', { depth: 1 }],
  ] as [string, PackWriterOptions][])(
    'writes a pack git accepts with --strict (%s)',
    async (name, options) => {
      const { pack, summary } = await writePackToBuffer(objects, options);
      expect(summary.objects).toHaveLength(objects.length);
      await gitAccepts(repo.path, `written-${name.replace(/ /g, '-')}`, pack, refs);
      const again = await decode(pack);
      expect(again.map((d) => d.object.id).sort()).toEqual(decoded.map((d) => d.object.id).sort());
      if (options.window !== 0) expect(again.some((d) => d.object.deltaBase !== undefined)).toBe(true);
      if (options.depth === 1) expect(again.every((d) => d.object.depth <= 1)).toBe(true);
      const idx = writePackIndex(summary.objects, summary.checksum);
      expect(idx.subarray(idx.length - 40, idx.length - 20).equals(pack.subarray(pack.length - 20))).toBe(
        true,
      );
    },
  );

  it('copies stored whole objects and stored deltas verbatim', async () => {
    const entries: PackWriteEntry[] = decoded.map(({ object, content }) =>
      object.deltaBase
        ? {
            kind: 'delta',
            id: object.id,
            baseId: object.deltaBase,
            deltaSize: object.deltaSize!,
            raw: content.raw,
          }
        : { kind: 'deflated', id: object.id, type: object.type, size: object.size, raw: content.raw },
    );
    // Reverse the order so deltas come before their bases in the input.
    const { pack } = await writePackToBuffer([...entries].reverse());
    await gitAccepts(repo.path, 'verbatim', pack, refs);
    const rawOf = new Map(decoded.map((d) => [d.object.id, d.content.raw]));
    for (const { object, content } of await decode(pack))
      expect(content.raw.equals(rawOf.get(object.id)!)).toBe(true);
  });

  it('never leaves a stored delta without its base unless thin packs are allowed', async () => {
    const delta = decoded.find((d) => d.object.deltaBase !== undefined)!;
    const entry: PackWriteEntry = {
      kind: 'delta',
      id: delta.object.id,
      baseId: delta.object.deltaBase!,
      raw: delta.content.raw,
    };
    await expect(writePackToBuffer([entry])).rejects.toMatchObject({ code: 'pack_write_missing_base' });
    const loaded = await writePackToBuffer([entry], {
      loadObject: async (id: ObjectId) => {
        const found = decoded.find((d) => d.object.id === id);
        return found ? { type: found.object.type as ObjectType, data: found.content.data } : undefined;
      },
    });
    const whole = await decode(loaded.pack);
    expect(whole.map((d) => [d.object.id, d.object.deltaBase])).toEqual([[delta.object.id, undefined]]);
    const thin = await writePackToBuffer([entry], { thin: true });
    const requested: string[] = [];
    await readPack(once(thin.pack), {
      resolveExternalBase: async (id) => {
        requested.push(id);
        const base = decoded.find((d) => d.object.id === id)!;
        return { type: base.object.type, data: base.content.data };
      },
    });
    expect(requested).toEqual([delta.object.deltaBase]);
  });
});
