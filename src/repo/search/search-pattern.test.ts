import { describe, expect, it } from 'vitest';
import { isMegaError } from '../../platform/errors.js';
import { parsePattern } from './search-pattern.js';

const literal = (q: string, caseSensitive = false) => parsePattern(q, { regex: false, caseSensitive });
const regex = (q: string, caseSensitive = true) => parsePattern(q, { regex: true, caseSensitive });

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (isMegaError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('literal patterns', () => {
  it('find the first match, case-insensitively unless asked', () => {
    expect(literal('Listen').find('app.listen(3000)')).toEqual({ start: 4, end: 10 });
    expect(literal('Listen', true).find('app.listen(3000)')).toBeUndefined();
    expect(literal('listen').literals).toEqual(['listen']);
    expect(literal('ab').literals).toEqual([]);
  });

  it('refuse empty, oversized, NUL and multi-line queries', () => {
    expect(codeOf(() => literal(''))).toBe('search_query_invalid');
    expect(codeOf(() => literal('x'.repeat(1001)))).toBe('search_query_too_long');
    expect(codeOf(() => literal('a\0b'))).toBe('search_query_invalid');
    expect(codeOf(() => literal('a\nb'))).toBe('search_query_invalid');
  });
});

describe('regex patterns', () => {
  it('extract the literals every match contains', () => {
    expect(regex('func\\w+\\(').literals).toEqual(['func']);
    expect(regex('app\\.listen\\(\\d+\\)').literals).toEqual(['app.listen(']);
    expect(regex('colou?r').literals).toEqual(['colo']);
    expect(regex('co.or').literals).toEqual([]);
    expect(regex('colou+rful').literals).toEqual(['colou', 'rful']);
    expect(regex('foo(bar)?bazz').literals).toEqual(['foo', 'bazz']);
    expect(regex('^import .* from').literals).toEqual(['import ', ' from']);
    expect(regex('alpha|beta').literals).toEqual([]);
    expect(regex('(alpha|beta)gamma').literals).toEqual(['gamma']);
  });

  it('match case-insensitively without the i flag (ASCII letters, classes and ranges)', () => {
    const folded = regex('Hello [w-z]orld[!X]', false);
    expect(folded.find('say hELLO World!')).toEqual({ start: 4, end: 16 });
    expect(folded.find('say hello Xorldx')).toEqual({ start: 4, end: 16 });
    expect(folded.find('say hello aorld!')).toBeUndefined();
    expect(regex('[^a-z]+', false).find('abcABC123')).toEqual({ start: 6, end: 9 });
    expect(regex('Hello').find('hello')).toBeUndefined();
  });

  it('refuse what the linear engine cannot run, and syntax errors, with 400 codes', () => {
    expect(codeOf(() => regex('(a)\\1'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('(?<n>a)\\k<n>'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('foo(?=bar)'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('(?<!x)foo'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('\\p{L}+'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('a{1,100}'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('(ab){2}'))).toBe('search_regex_unsupported');
    expect(codeOf(() => regex('(((((((((((((((((a)))))))))))))))))'))).toBe('search_regex_too_broad');
    expect(codeOf(() => regex('a+'.repeat(17)))).toBe('search_regex_too_broad');
    expect(codeOf(() => regex('x'.repeat(257)))).toBe('search_query_too_long');
    expect(codeOf(() => regex('foo('))).toBe('search_regex_invalid');
    expect(codeOf(() => regex('[z-a]'))).toBe('search_regex_invalid');
  });

  it('run catastrophic patterns in bounded time (V8 falls back to its linear engine)', () => {
    const line = `${'a'.repeat(1999)}!`;
    for (const source of [
      '(a+)+$',
      '(a|aa)+$',
      '(a*)*b',
      '(.*a)+$',
      '(\\w+\\s?)+$',
      '(a|a?)+$',
      'a{1,16}a{1,16}(a+)+$',
    ]) {
      for (const caseSensitive of [true, false]) {
        // No assertion on the answer: the point is that it comes back.
        parsePattern(source, { regex: true, caseSensitive }).find(line);
      }
    }
  });
});
