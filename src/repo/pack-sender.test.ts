import { deflateSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../tests/support/git-cli.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { diffBuffers } from '../../tests/support/delta-encoder.js';
import { hashObject } from '../git/object.js';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { PACK_READ_BATCH, sendPack, type PackSendOptions } from './pack-sender.js';
import type { PackReadyObject } from '../storage/pack-ready.js';
import type { WalkedObject } from './served-repository.js';
import { SingleReadObjectSource } from './single-read-objects.js';

/**
 * The pack sender checked by the real `git index-pack`: every pack it writes must index cleanly
 * (OFS distances, REF bases, counts, trailing checksum) and give back the objects' contents.
 */

interface FakeObject {
  readonly content: Buffer;
  readonly stored?: PackReadyObject;
}

/** An object source over blobs, some stored as deltas, some streamed as if from files. */
class FakeSource extends SingleReadObjectSource {
  readonly objects = new Map<ObjectId, FakeObject>();
  reads = 0;

  constructor(readonly format: ObjectFormat = SHA1) {
    super();
  }

  addWhole(content: Buffer, options: { streamed?: boolean } = {}): ObjectId {
    const id = hashObject('blob', content, this.format);
    const deflated = deflateSync(content);
    this.objects.set(id, {
      content,
      stored: {
        id,
        type: 'blob',
        size: content.length,
        payloadSize: content.length,
        deflated: options.streamed ? () => halves(deflated) : deflated,
      },
    });
    return id;
  }

  addDelta(content: Buffer, base: ObjectId): ObjectId {
    const id = hashObject('blob', content, this.format);
    const delta = diffBuffers(this.objects.get(base)!.content, content)!;
    this.objects.set(id, {
      content,
      stored: {
        id,
        type: 'blob',
        size: content.length,
        payloadSize: delta.length,
        deflated: deflateSync(delta),
        deltaBase: base,
      },
    });
    return id;
  }

  /** An object storage can only give inflated (say, a synthetic one). */
  addUnstored(content: Buffer): ObjectId {
    const id = hashObject('blob', content, this.format);
    this.objects.set(id, { content });
    return id;
  }

  async hasObjects(ids: readonly ObjectId[]) {
    return new Set(ids.filter((id) => this.objects.has(id)));
  }

  async readObject(id: ObjectId) {
    const object = this.objects.get(id);
    return object ? { type: 'blob' as const, content: object.content } : undefined;
  }

  async readCommit() {
    return undefined;
  }

  override async readPackReady(objects: ReadonlyArray<{ readonly id: ObjectId }>) {
    this.reads++;
    return objects.map(({ id }) => this.objects.get(id)?.stored);
  }
}

async function* halves(bytes: Buffer): AsyncIterable<Buffer> {
  const middle = Math.floor(bytes.length / 2);
  yield bytes.subarray(0, middle);
  yield bytes.subarray(middle);
}

const blobs = (ids: readonly ObjectId[]): WalkedObject[] => ids.map((id) => ({ id, type: 'blob' }));
const text = (seed: number, lines = 200) =>
  Buffer.from(
    Array.from({ length: lines }, (_, i) => `line ${i} of blob ${seed % 7}\n`).join('') + `${seed}\n`,
  );

const OPTIONS: PackSendOptions = { ofsDelta: true, thinPack: false, clientHas: new Set() };

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir('mega-pack-sender-');
});
afterAll(() => dir.remove());

let packs = 0;
/** Sends the pack, indexes it with git and returns git's view: entry kinds and object contents. */
async function sendAndIndex(source: FakeSource, list: readonly WalkedObject[], options = OPTIONS) {
  const pieces: Buffer[] = [];
  const written: ObjectId[] = [];
  const stats = await sendPack(
    source,
    list,
    { ...options, onWritten: (object) => written.push(object.id) },
    { write: async (chunk) => void pieces.push(Buffer.from(chunk)) },
  );
  const pack = Buffer.concat(pieces);
  expect(stats.bytes).toBe(pack.length);
  const repo = join(dir.path, `repo-${packs++}`);
  await git(['init', '-q', '--bare', `--object-format=${source.format.name}`, repo]);
  const file = join(repo, 'objects', 'pack', 'sent.pack');
  await writeFile(file, pack);
  await git(['-C', repo, 'index-pack', '--strict', file]);
  const verify = (
    await git(['-C', repo, 'verify-pack', '-v', file.replace(/\.pack$/, '.idx')])
  ).stdout.toString();
  const contents = (
    await git(['-C', repo, 'cat-file', '--batch'], { input: list.map((o) => `${o.id}\n`).join('') })
  ).stdout;
  let at = 0;
  for (const object of list) {
    const headerEnd = contents.indexOf(10, at);
    expect(contents.subarray(at, headerEnd).toString()).toMatch(new RegExp(`^${object.id} blob \\d+$`));
    const expected = source.objects.get(object.id)!.content;
    expect(contents.subarray(headerEnd + 1, headerEnd + 1 + expected.length).equals(expected)).toBe(true);
    at = headerEnd + 1 + expected.length + 1;
  }
  expect(at).toBe(contents.length);
  return { stats, verify, written };
}

describe('sendPack', () => {
  it('writes stored deltas as OFS deltas, pulling their bases forward down a chain', async () => {
    const source = new FakeSource();
    const a = source.addWhole(text(1));
    const b = source.addDelta(Buffer.concat([text(1), Buffer.from('b\n')]), a);
    const c = source.addDelta(Buffer.concat([text(1), Buffer.from('b\nc\n')]), b);
    const { stats, verify, written } = await sendAndIndex(source, blobs([c, b, a]));
    expect(written).toEqual([a, b, c]);
    expect(stats).toMatchObject({ objects: 3, reusedDeltas: 2 });
    expect(verify).toMatch(/chain length = 2: 1 object/);
  });

  it('writes REF deltas without ofs-delta, and a delta whose base is not sent as a whole object', async () => {
    const source = new FakeSource();
    const a = source.addWhole(text(2));
    const b = source.addDelta(Buffer.concat([text(2), Buffer.from('more\n')]), a);
    const orphanBase = source.addWhole(text(3));
    const orphan = source.addDelta(Buffer.concat([text(3), Buffer.from('tail\n')]), orphanBase);
    const { stats, verify } = await sendAndIndex(source, blobs([a, b, orphan]), {
      ...OPTIONS,
      ofsDelta: false,
    });
    expect(stats).toMatchObject({ objects: 3, reusedDeltas: 1 });
    expect(verify).toMatch(/non delta: 2 objects/);
  });

  it('streams objects stored as files and sends large ones and unstored ones whole', async () => {
    const source = new FakeSource();
    const streamed = source.addWhole(text(4, 5000), { streamed: true });
    const random = Buffer.alloc(300_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919) % 251;
    const large = source.addWhole(random);
    const unstored = source.addUnstored(text(5));
    const { stats } = await sendAndIndex(source, blobs([streamed, unstored, large]));
    expect(stats).toMatchObject({ objects: 3, reusedDeltas: 0 });
  });

  it("writes a SHA-256 repository's pack: 32-byte REF base ids and a SHA-256 trailer", async () => {
    const source = new FakeSource(SHA256);
    const a = source.addWhole(text(6));
    const b = source.addDelta(Buffer.concat([text(6), Buffer.from('more\n')]), a);
    const c = source.addDelta(Buffer.concat([text(6), Buffer.from('more\nstill\n')]), b);
    const { stats, verify } = await sendAndIndex(source, blobs([a, b]), { ...OPTIONS, ofsDelta: false });
    expect(stats).toMatchObject({ objects: 2, reusedDeltas: 1 });
    expect(verify).toMatch(/chain length = 1: 1 object/);
    const ofs = await sendAndIndex(source, blobs([c, b, a]));
    expect(ofs.stats).toMatchObject({ objects: 3, reusedDeltas: 2 });
  });

  it('crosses read batches and staging pieces: thousands of entries, deltas on bases from earlier batches', async () => {
    const source = new FakeSource();
    const ids: ObjectId[] = [];
    const roots = Array.from({ length: 20 }, (_, i) => source.addWhole(text(100 + i, 400)));
    for (let i = 0; i < PACK_READ_BATCH * 2 + 500; i++) {
      const root = roots[i % roots.length]!;
      ids.push(
        source.addDelta(Buffer.concat([source.objects.get(root)!.content, Buffer.from(`${i}\n`)]), root),
      );
    }
    // The roots come last: each is pulled forward by the first delta that needs it.
    const { stats, written } = await sendAndIndex(source, blobs([...ids, ...roots]));
    expect(stats).toMatchObject({ objects: ids.length + roots.length, reusedDeltas: ids.length });
    expect(new Set(written).size).toBe(written.length);
    expect(written[0]).toBe(roots[0]);
  });

  it('across batches: bases written batches before, bases later pulled forward, bases not sent', async () => {
    const source = new FakeSource();
    const early = source.addWhole(text(200, 300));
    const late = source.addWhole(text(201, 300));
    const absent = source.addWhole(text(202, 300));
    const grow = (base: ObjectId, i: number) =>
      source.addDelta(Buffer.concat([source.objects.get(base)!.content, Buffer.from(`${i}\n`)]), base);
    const filler = (seed: number) =>
      Array.from({ length: PACK_READ_BATCH }, (_, i) => source.addWhole(text(seed + i, 2)));
    const onEarly = [grow(early, 1), grow(early, 2)];
    const onLate = grow(late, 3);
    const onAbsent = [grow(absent, 4), grow(absent, 5)];
    // `early` in the first batch, its deltas in the second; `late` two batches after its delta;
    // `absent` not listed at all (a `blob:limit` clone's dropped base): its deltas go whole.
    const ordered = blobs([
      early,
      ...filler(10_000),
      ...onEarly,
      onAbsent[0]!,
      onLate,
      ...filler(20_000),
      late,
      onAbsent[1]!,
    ]);
    const { stats, verify, written } = await sendAndIndex(source, ordered);
    expect(stats).toMatchObject({ objects: ordered.length, reusedDeltas: 3 });
    expect(new Set(written).size).toBe(ordered.length);
    expect(written.indexOf(late)).toBeLessThan(written.indexOf(onLate));
    expect(verify).toMatch(/chain length = 1: 3 objects/);
  });
});
