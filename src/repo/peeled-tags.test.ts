import { describe, expect, it } from 'vitest';
import { parseObjectId } from '../git/object-id.js';
import { NOT_A_TAG, PeeledTags } from './peeled-tags.js';

const id = (digit: string) => parseObjectId(digit.repeat(40));

describe('PeeledTags', () => {
  it('tells a peeled tag, a target that is no tag, and an id not asked before apart', () => {
    const tags = new PeeledTags();
    tags.set(id('a'), id('b'));
    tags.set(id('c'), NOT_A_TAG);
    expect(tags.get(id('a'))).toBe(id('b'));
    expect(tags.get(id('c'))).toBe(NOT_A_TAG);
    expect(tags.get(id('d'))).toBeUndefined();
  });

  it('keeps the first answer for an id', () => {
    const tags = new PeeledTags();
    tags.set(id('a'), id('b'));
    tags.set(id('a'), NOT_A_TAG);
    expect(tags.get(id('a'))).toBe(id('b'));
  });

  it('drops the oldest id past its limit', () => {
    const tags = new PeeledTags(2);
    tags.set(id('a'), id('b'));
    tags.set(id('c'), id('d'));
    tags.set(id('e'), id('f'));
    expect(tags.get(id('a'))).toBeUndefined();
    expect(tags.get(id('c'))).toBe(id('d'));
    expect(tags.get(id('e'))).toBe(id('f'));
  });
});
