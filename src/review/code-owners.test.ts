import { describe, expect, it } from 'vitest';
import { compilePattern, MAX_CODEOWNERS_BYTES, ownersOf, parseCodeOwners } from './code-owners.js';

const owns = (pattern: string, path: string) => compilePattern(pattern)!(path);
const ownerNames = (text: string, path: string) =>
  ownersOf(parseCodeOwners(text), path).map((match) => ({
    section: match.section,
    owners: match.rule.owners.map((o) => (o.kind === 'email' ? o.email : `${o.kind}:${o.name}`)),
  }));

describe('CODEOWNERS patterns', () => {
  it.each([
    ['*', 'a.txt', true],
    ['*', 'deep/down/a.txt', true],
    ['*.js', 'src/app/index.js', true],
    ['*.js', 'src/app/index.ts', false],
    ['/build/', 'build/out/x.o', true],
    ['/build/', 'src/build/x.o', false],
    ['/build/', 'build', false],
    ['build/', 'src/build/x.o', true],
    ['apps/', 'deep/apps/x', true],
    ['docs/*', 'docs/a.md', true],
    ['docs/*', 'docs/sub/b.md', false],
    ['docs/*', 'x/docs/a.md', false],
    ['/docs', 'docs/sub/b.md', true],
    ['docs', 'x/docs/sub/b.md', true],
    ['**/logs', 'a/b/logs/x.log', true],
    ['**/logs', 'logs/x.log', true],
    ['src/**/test', 'src/test/a', true],
    ['src/**/test', 'src/a/b/test/a', true],
    ['src/**', 'src/a/b', true],
    ['src/**', 'src', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[Dd]ocs/', 'Docs/x', true],
    ['[!D]ocs/', 'Docs/x', false],
    ['file\\*', 'file*', true],
    ['file\\*', 'filex', false],
    ['[unclosed', '[unclosed', true],
    ['README.md', 'a/README.md', true],
    ['README.md', 'README.mdx', false],
  ])('%s on %s: %s', (pattern, path, expected) => {
    expect(owns(pattern, path)).toBe(expected);
  });

  it('refuses empty patterns and survives hostile ones quickly', () => {
    expect(compilePattern('/')).toBeUndefined();
    expect(compilePattern('\\')).toBeUndefined();
    const hostile = `${'*a'.repeat(200)}b`;
    const path = 'a'.repeat(4000);
    expect(owns(hostile, path)).toBe(false);
    expect(owns(`${'**/'.repeat(100)}x`, `${'d/'.repeat(1000)}y`)).toBe(false);
  });
});

describe('CODEOWNERS files', () => {
  it('lets the last matching rule win, with comments, emails, teams and unowned paths', () => {
    const text = [
      '# owners',
      '*       @alice',
      '*.md    docs@example.com @org/writers # trailing comment',
      '/vendor/',
      'path\\ with\\ spaces @bob',
      '\\#hash @carol',
    ].join('\n');
    expect(ownerNames(text, 'src/a.ts')).toEqual([{ section: '', owners: ['name:alice'] }]);
    expect(ownerNames(text, 'x/README.md')).toEqual([
      { section: '', owners: ['docs@example.com', 'group:writers'] },
    ]);
    expect(ownerNames(text, 'vendor/lib.c')).toEqual([{ section: '', owners: [] }]);
    expect(ownerNames(text, 'path with spaces')).toEqual([{ section: '', owners: ['name:bob'] }]);
    expect(ownerNames(text, '#hash')).toEqual([{ section: '', owners: ['name:carol'] }]);
  });

  it('reads GitLab sections: each section separately, defaults, optional, merged by name', () => {
    const text = [
      '* @alice',
      '[Backend] @backend',
      'src/',
      '*.go @gopher',
      '^[Docs]',
      '*.md @writer',
      '[backend][2]',
      'db/ @dba',
    ].join('\n');
    const file = parseCodeOwners(text);
    expect(file.sections.map((s) => [s.name, s.optional, s.rules.length])).toEqual([
      ['', false, 1],
      ['Backend', false, 3],
      ['Docs', true, 1],
    ]);
    expect(ownerNames(text, 'src/x.md')).toEqual([
      { section: '', owners: ['name:alice'] },
      { section: 'Backend', owners: ['name:backend'] },
      { section: 'Docs', owners: ['name:writer'] },
    ]);
    expect(ownerNames(text, 'db/schema.sql')).toEqual([
      { section: '', owners: ['name:alice'] },
      { section: 'Backend', owners: ['name:dba'] },
    ]);
  });

  it('keeps a character class line as a rule, not a section', () => {
    expect(ownerNames('[Dd]ocs/ @alice', 'docs/a')).toEqual([{ section: '', owners: ['name:alice'] }]);
  });

  it('warns about bad owners and patterns, ignores oversized files', () => {
    const file = parseCodeOwners('* alice @ok <evil> @bad/ @x/y/z\n\\\n');
    expect(file.sections[0]!.rules[0]!.owners).toEqual([
      { kind: 'name', name: 'ok' },
      { kind: 'group', name: 'z', text: '@x/y/z' },
    ]);
    expect(file.warnings.length).toBeGreaterThanOrEqual(3);
    const huge = parseCodeOwners(`* @a\n${'#'.repeat(MAX_CODEOWNERS_BYTES)}`);
    expect(huge.sections).toEqual([]);
    expect(huge.warnings[0]).toMatch(/ignored/);
    const many = parseCodeOwners(Array.from({ length: 500 }, () => '* nobody').join('\n'));
    expect(many.warnings.length).toBeLessThanOrEqual(20);
    expect(parseCodeOwners(`${'x'.repeat(600)} @a`).warnings[0]).toMatch(/too long/);
    expect(parseCodeOwners('').sections).toEqual([]);
    expect(parseCodeOwners('\r\n\r\n# only comments\r\n').sections).toEqual([]);
  });
});
