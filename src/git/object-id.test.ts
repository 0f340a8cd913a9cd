import { describe, expect, it } from 'vitest';
import { objectFormatByName, SHA1, SHA256 } from './object-format.js';
import {
  isObjectId,
  isZeroId,
  objectIdFromRaw,
  objectIdToRaw,
  parseObjectId,
  zeroObjectId,
} from './object-id.js';

const EMPTY_BLOB_SHA1 = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
const EMPTY_BLOB_SHA256 = '473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813';

describe('object formats', () => {
  it.each([
    [SHA1, EMPTY_BLOB_SHA1],
    [SHA256, EMPTY_BLOB_SHA256],
  ])('hashes the empty blob like git (%#)', (format, expected) => {
    expect(format.hash(Buffer.from('blob 0\0')).toString('hex')).toBe(expected);
    expect(format.hash(Buffer.from('blob '), Buffer.from('0\0')).toString('hex')).toBe(expected);
    expect(format.hexLength).toBe(expected.length);
  });

  it('looks formats up by name', () => {
    expect(objectFormatByName('sha1')).toBe(SHA1);
    expect(objectFormatByName('sha256')).toBe(SHA256);
    expect(objectFormatByName('md5')).toBeUndefined();
  });
});

describe('object ids', () => {
  it.each([
    [EMPTY_BLOB_SHA1, true],
    [EMPTY_BLOB_SHA1.toUpperCase(), false],
    [EMPTY_BLOB_SHA1.slice(1), false],
    [`${EMPTY_BLOB_SHA1.slice(1)}g`, false],
    [EMPTY_BLOB_SHA256, false],
  ])('isObjectId(%s) is %s for sha1', (value, ok) => {
    expect(isObjectId(value)).toBe(ok);
  });

  it('parses upper case to lower case and rejects garbage with a typed error', () => {
    expect(parseObjectId(EMPTY_BLOB_SHA1.toUpperCase())).toBe(EMPTY_BLOB_SHA1);
    expect(parseObjectId(EMPTY_BLOB_SHA256, SHA256)).toBe(EMPTY_BLOB_SHA256);
    expect(() => parseObjectId('xyz')).toThrow(expect.objectContaining({ code: 'invalid_object_id' }));
  });

  it('converts between raw and hex', () => {
    const raw = objectIdToRaw(parseObjectId(EMPTY_BLOB_SHA1));
    expect(raw).toHaveLength(20);
    const padded = Buffer.concat([Buffer.from([9, 9]), raw]);
    expect(objectIdFromRaw(padded, 2)).toBe(EMPTY_BLOB_SHA1);
    expect(() => objectIdFromRaw(padded, 3)).toThrow(/truncated/);
    expect(zeroObjectId()).toBe('0'.repeat(40));
  });

  it('knows the all-zero id of both formats and nothing else as "no object"', () => {
    expect(isZeroId(SHA1.zeroId)).toBe(true);
    expect(isZeroId(SHA256.zeroId)).toBe(true);
    expect(isZeroId(EMPTY_BLOB_SHA1)).toBe(false);
    expect(isZeroId('')).toBe(false);
  });
});
