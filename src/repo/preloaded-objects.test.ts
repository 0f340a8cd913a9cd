import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { PreloadedObjects } from './preloaded-objects.js';
import type { CloneSnapshot, ObjectSource } from './served-repository.js';
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
function tagSource(messageBytes: number): { source: ObjectSource; piecesRead: () => number } {
  const head = Buffer.from(`object ${TARGET}\ntype commit\ntag big\ntagger T <t@example.com> 0 +0000\n\n`);
  let pieces = 0;
  const source: ObjectSource = {
    hasObjects: async (ids) => new Set(ids.filter((id) => id === TAG)),
    readObject: () => Promise.reject(new Error('the tag was read whole')),
    readCommit: async () => undefined,
    openObject: async (id) =>
      id === TAG
        ? {
            type: 'tag',
            size: head.length + messageBytes,
            content: (async function* () {
              pieces++;
              yield head;
              for (let left = messageBytes; left > 0; left -= 1 << 20) {
                pieces++;
                yield Buffer.alloc(Math.min(left, 1 << 20), 0x61);
              }
            })(),
          }
        : undefined,
  };
  return { source, piecesRead: () => pieces };
}

describe('PreloadedObjects', () => {
  it('passes reads in pieces through, so a walk peels a huge tag from its first bytes', async () => {
    const { source, piecesRead } = tagSource(64 << 20);
    const preloaded = new PreloadedObjects(source, EMPTY_SNAPSHOT);
    expect(preloaded.openObject).toBeDefined();
    expect(await readTagTarget(preloaded, TAG)).toBe(TARGET);
    expect(piecesRead()).toBeLessThanOrEqual(2);
  });

  it('has no reads in pieces when the underlying source has none', () => {
    const { source } = tagSource(0);
    const whole: ObjectSource = {
      hasObjects: source.hasObjects,
      readObject: source.readObject,
      readCommit: source.readCommit,
    };
    expect(new PreloadedObjects(whole, EMPTY_SNAPSHOT).openObject).toBeUndefined();
  });
});
