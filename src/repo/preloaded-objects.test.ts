import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import type { PackReadyObject } from '../storage/pack-ready.js';
import { PreloadedObjects } from './preloaded-objects.js';
import type { CloneSnapshot, OpenedObject } from './served-repository.js';
import { completeObjectSource, SingleReadObjectSource } from './single-read-objects.js';
import { readTagTarget } from './tag-target.js';

const TARGET = 'c'.repeat(40) as ObjectId;
const TAG = 't'.repeat(40) as ObjectId;

const EMPTY_SNAPSHOT: CloneSnapshot = {
  allCommits: true,
  commits: new Map(),
  treeContent: () => undefined,
  treePackReady: () => undefined,
  releaseTreeContents: () => undefined,
};

/** A tag whose message is `messageBytes` long, served in 1 MiB pieces; counts what was read. */
class BigTagSource extends SingleReadObjectSource {
  private readonly head = Buffer.from(
    `object ${TARGET}\ntype commit\ntag big\ntagger T <t@example.com> 0 +0000\n\n`,
  );
  piecesRead = 0;

  constructor(private readonly messageBytes: number) {
    super();
  }

  async hasObjects(ids: readonly ObjectId[]) {
    return new Set(ids.filter((id) => id === TAG));
  }

  readObject(): Promise<undefined> {
    return Promise.reject(new Error('the tag was read whole'));
  }

  async readCommit() {
    return undefined;
  }

  override async openObject(id: ObjectId): Promise<OpenedObject | undefined> {
    if (id !== TAG) return undefined;
    const { head, messageBytes } = this;
    const count = () => this.piecesRead++;
    return {
      type: 'tag',
      size: head.length + messageBytes,
      content: (async function* () {
        count();
        yield head;
        for (let left = messageBytes; left > 0; left -= 1 << 20) {
          count();
          yield Buffer.alloc(Math.min(left, 1 << 20), 0x61);
        }
      })(),
    };
  }
}

describe('PreloadedObjects', () => {
  it('passes reads in pieces through, so a walk peels a huge tag from its first bytes', async () => {
    const source = new BigTagSource(64 << 20);
    const preloaded = new PreloadedObjects(source, EMPTY_SNAPSHOT);
    expect(await readTagTarget(preloaded, TAG)).toBe(TARGET);
    expect(source.piecesRead).toBeLessThanOrEqual(2);
  });

  it('peels a tag of a source that only reads whole objects', async () => {
    const tag = Buffer.from(
      `object ${TARGET}\ntype commit\ntag small\ntagger T <t@example.com> 0 +0000\n\nm\n`,
    );
    const whole = completeObjectSource({
      hasObjects: async (ids) => new Set(ids.filter((id) => id === TAG)),
      readObject: async (id) => (id === TAG ? { type: 'tag', content: tag } : undefined),
      readCommit: async () => undefined,
    });
    expect(await readTagTarget(new PreloadedObjects(whole, EMPTY_SNAPSHOT), TAG)).toBe(TARGET);
  });

  it('answers sizes from the source: a single-read source by its objects, absent ones left out', async () => {
    const small = 'a'.repeat(40) as ObjectId;
    const large = 'b'.repeat(40) as ObjectId;
    const contents = new Map([
      [small, Buffer.from('tiny')],
      [large, Buffer.alloc(100)],
    ]);
    const source = completeObjectSource({
      hasObjects: async (ids) => new Set(ids.filter((id) => contents.has(id))),
      readObject: async (id) => {
        const content = contents.get(id);
        return content && { type: 'blob', content };
      },
      readCommit: async () => undefined,
    });
    const preloaded = new PreloadedObjects(source, EMPTY_SNAPSHOT);
    const objects = [small, large, TAG].map((id) => ({ id }));
    expect(await preloaded.sizesAtLeast(objects, 100)).toEqual(new Set([large]));
    expect(await preloaded.sizesAtLeast(objects, 4)).toEqual(new Set([small, large]));
  });

  it("gives stored forms at each object's index: the snapshot's trees among the source's", async () => {
    const stored = (id: ObjectId): PackReadyObject => ({
      id,
      type: 'tree',
      size: 1,
      payloadSize: 1,
      deflated: Buffer.from(id),
    });
    const [treeA, blobB, treeC, missingD] = ['a', 'b', 'c', 'd'].map((digit) => digit.repeat(40) as ObjectId);
    const snapshot = {
      ...EMPTY_SNAPSHOT,
      treePackReady: (id: ObjectId) => ([treeA, treeC].includes(id) ? stored(id) : undefined),
    };
    const asked: ObjectId[][] = [];
    const source = new (class extends BigTagSource {
      override async readPackReady(objects: ReadonlyArray<{ readonly id: ObjectId }>) {
        asked.push(objects.map((object) => object.id));
        return objects.map(({ id }) => (id === blobB ? stored(id) : undefined));
      }
    })(0);
    const read = await new PreloadedObjects(source, snapshot).readPackReady(
      [treeA, blobB, treeC, missingD, blobB].map((id) => ({ id: id! })),
    );
    expect(read.map((entry) => entry?.id)).toEqual([treeA, blobB, treeC, undefined, blobB]);
    expect(asked).toEqual([[blobB, missingD, blobB]]);
  });
});
