import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { pickKey, walkStamp } from './remembered-picks.js';

const walk = { walkId: 7, objectCount: 50, walkKey: 'k'.repeat(64), createdAt: '2026-12-07T23:00:00.000Z' };
const [a, b] = ['a', 'b'].map((c) => c.repeat(40) as ObjectId);

describe('remembered picks', () => {
  it('keys a pick by the wants in any order and repeated, and by the walk as stored', () => {
    expect(pickKey(1, walk, [a!, b!, a!])).toBe(pickKey(1, walk, [b!, a!]));
    expect(pickKey(1, walk, [a!])).not.toBe(pickKey(1, walk, [a!, b!]));
    expect(pickKey(1, { ...walk, createdAt: '2026-12-07T23:00:00.001Z' }, [a!])).not.toBe(
      pickKey(1, walk, [a!]),
    );
    expect(pickKey(1, { ...walk, walkKey: 'j'.repeat(64) }, [a!])).not.toBe(pickKey(1, walk, [a!]));
    expect(pickKey(1, { ...walk, walkId: 8 }, [a!])).not.toBe(pickKey(1, walk, [a!]));
    expect(pickKey(2, walk, [a!])).not.toBe(pickKey(1, walk, [a!]));
    expect(walkStamp(1, walk)).not.toBe(walkStamp(2, walk));
  });
});
