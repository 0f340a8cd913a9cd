import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { MAX_BLINK_BYTES, looksLikeBLink, parseBLink, writeBLink } from './b-link.js';

const SEED_EXAMPLE = 'version https://mega.com/directory/spec/v1\npath /projects/foo\n';

describe('b-link codec', () => {
  it('writes exactly the seed layout', () => {
    expect(writeBLink({ path: '/projects/foo' }).toString('utf8')).toBe(SEED_EXAMPLE);
  });

  it('round-trips', () => {
    expect(parseBLink(Buffer.from(SEED_EXAMPLE))).toEqual({ path: '/projects/foo' });
    const nested = writeBLink({ path: '/projects/team/a-b_c' });
    expect(parseBLink(nested)).toEqual({ path: '/projects/team/a-b_c' });
  });

  it('says an ordinary file is not a b-link', () => {
    expect(parseBLink(Buffer.from('# README\n'))).toBeUndefined();
    expect(parseBLink(Buffer.alloc(0))).toBeUndefined();
    expect(parseBLink(Buffer.from('version https://git-lfs.github.com/spec/v1\n'))).toBeUndefined();
    expect(looksLikeBLink(10)).toBe(false);
    expect(looksLikeBLink(SEED_EXAMPLE.length, Buffer.from(SEED_EXAMPLE))).toBe(true);
  });

  const hostile: ReadonlyArray<readonly [string, string]> = [
    ['missing path line', 'version https://mega.com/directory/spec/v1\n'],
    ['truncated path line', 'version https://mega.com/directory/spec/v1\npath /projects/foo'],
    ['extra line', `${SEED_EXAMPLE}oid sha256:abc\n`],
    ['CRLF', 'version https://mega.com/directory/spec/v1\npath /projects/foo\r\n'],
    ['relative path', 'version https://mega.com/directory/spec/v1\npath projects/foo\n'],
    ['traversal', 'version https://mega.com/directory/spec/v1\npath /projects/../etc\n'],
    ['dot segment', 'version https://mega.com/directory/spec/v1\npath /projects/./foo\n'],
    ['empty segment', 'version https://mega.com/directory/spec/v1\npath /projects//foo\n'],
    ['.git segment', 'version https://mega.com/directory/spec/v1\npath /projects/.git\n'],
    ['control character', 'version https://mega.com/directory/spec/v1\npath /projects/fo\u0001o\n'],
    ['NUL', 'version https://mega.com/directory/spec/v1\npath /projects/fo\u0000o\n'],
    ['backslash', 'version https://mega.com/directory/spec/v1\npath /projects\\foo\n'],
    ['root', 'version https://mega.com/directory/spec/v1\npath /\n'],
    ['wrong key', 'version https://mega.com/directory/spec/v1\nname /projects/foo\n'],
    ['oversized', `version https://mega.com/directory/spec/v1\npath /${'a'.repeat(MAX_BLINK_BYTES)}\n`],
  ];
  it.each(hostile)('rejects a b-link with %s', (_name, text) => {
    let error: unknown;
    try {
      parseBLink(Buffer.from(text, 'utf8'));
    } catch (caught) {
      error = caught;
    }
    expect(isMegaError(error, 'invalid')).toBe(true);
    expect((error as { code: string }).code).toBe('blink_invalid');
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('version https://mega.com/directory/spec/v1\npath /projects/'),
      Buffer.from([0xff, 0x0a]),
    ]);
    expect(() => parseBLink(bytes)).toThrow(/UTF-8/);
  });

  it('refuses to write a bad path', () => {
    expect(() => writeBLink({ path: '/projects/../x' })).toThrow();
    expect(() => writeBLink({ path: 'x' })).toThrow();
  });
});
