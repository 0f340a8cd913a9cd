import { describe, expect, it } from 'vitest';
import { extendSelection, lineHash, parseLineHash } from '../../ui/src/components/line-selection.js';
import { formatBytes, parseLfsPointer } from '../../ui/src/components/lfs-pointer.js';
import { resolveRepoTarget } from '../../ui/src/markdown/links.js';
import { headingSlug, Slugger } from '../../ui/src/markdown/slug.js';

type HighlightedLine = ReadonlyArray<{ readonly text: string; readonly className?: string }>;
interface Highlighting {
  highlightLines(text: string, grammar: string): Promise<HighlightedLine[]>;
  splitHighlighted(html: string): HighlightedLine[];
  grammarForPath(path: string): string | undefined;
  grammarForFence(info: string | undefined): string | undefined;
}

/**
 * The UI's highlighting modules, loaded by URL: highlight.js's types pull in the DOM library,
 * which would change `fetch` and `Buffer` bodies for the whole Node type-check (the UI's own
 * type-check reads them).
 */
const moduleUrl = (path: string) => new URL(`../../ui/src/highlight/${path}`, import.meta.url).href;
const { highlightLines, splitHighlighted, grammarForPath, grammarForFence }: Highlighting = {
  ...((await import(moduleUrl('highlighter.ts'))) as Pick<
    Highlighting,
    'highlightLines' | 'splitHighlighted'
  >),
  ...((await import(moduleUrl('grammars.ts'))) as Pick<Highlighting, 'grammarForPath' | 'grammarForFence'>),
};

/** The runs of one line as `[class, text]` pairs (unclassed text as `''`). */
const runs = (line: HighlightedLine | undefined): Array<[string, string]> =>
  (line ?? []).map((s) => [s.className ?? '', s.text]);
const textOf = (line: HighlightedLine | undefined) => (line ?? []).map((s) => s.text).join('');

describe('highlighting (highlight.js, split into lines)', () => {
  it('reads a JavaScript regex literal as one regexp, not a division or a string', async () => {
    const [line] = await highlightLines(
      'const re = /"[^"]*"|\\/\\//g; const half = a / 2 / b;',
      'javascript',
    );
    expect(runs(line)).toContainEqual(['hljs-regexp', '/"[^"]*"|\\/\\//g']);
    expect(runs(line).filter(([kind]) => kind === 'hljs-string')).toEqual([]);
    expect(textOf(line)).toBe('const re = /"[^"]*"|\\/\\//g; const half = a / 2 / b;');
  });

  it('keeps nested template strings and their substitutions apart', async () => {
    const source = 'const s = `a ${cond ? `inner ${x}` : "q"} b`;\nlet after = 1;';
    const lines = await highlightLines(source, 'typescript');
    expect(lines).toHaveLength(2);
    expect(textOf(lines[0])).toBe('const s = `a ${cond ? `inner ${x}` : "q"} b`;');
    const kinds = runs(lines[0]);
    expect(kinds).toContainEqual(['hljs-string', '`a ']);
    expect(kinds).toContainEqual(['hljs-string', ' b`']);
    // The code inside `${…}` is code again: `cond` is not string-coloured.
    expect(kinds.find(([, text]) => text.includes('cond'))?.[0]).not.toBe('hljs-string');
    // The template closed: the next line starts with a keyword, not inside a string.
    expect(runs(lines[1])[0]).toEqual(['hljs-keyword', 'let']);
  });

  it('carries a scope that spans lines onto every line', async () => {
    const lines = await highlightLines('/* one\n two */ x = `a\nb`;', 'javascript');
    expect(runs(lines[0])).toEqual([['hljs-comment', '/* one']]);
    expect(runs(lines[1])[0]).toEqual(['hljs-comment', ' two */']);
    expect(runs(lines[2])).toContainEqual(['hljs-string', 'b`']);
  });

  it('decodes what highlight.js escapes and keeps empty lines', () => {
    const lines = splitHighlighted(
      '<span class="hljs-string">&quot;&lt;a&gt; &amp; &#x27;&quot;</span>\n\nx',
    );
    expect(lines.map(textOf)).toEqual([`"<a> & '"`, '', 'x']);
  });

  it('maps file names and fence names to grammars', () => {
    expect(grammarForPath('src/a.ts')).toBe('typescript');
    expect(grammarForPath('lib/x.MJS')).toBe('javascript');
    expect(grammarForPath('Dockerfile')).toBe('dockerfile');
    expect(grammarForPath('docs/index.html')).toBe('xml');
    expect(grammarForPath('LICENSE')).toBeUndefined();
    expect(grammarForPath('a.unknown')).toBeUndefined();
    expect(grammarForPath('a.constructor')).toBeUndefined();
    expect(grammarForFence('ts title="x"')).toBe('typescript');
    expect(grammarForFence('sh')).toBe('bash');
    expect(grammarForFence('__proto__')).toBeUndefined();
    expect(grammarForFence(undefined)).toBeUndefined();
  });
});

describe('line selection in the URL', () => {
  it.each([
    ['#L5', { first: 5, last: 5 }],
    ['#L10-L20', { first: 10, last: 20 }],
    ['#L20-L10', { first: 10, last: 20 }],
    ['#L10-20', { first: 10, last: 20 }],
  ])('reads %s', (hash, range) => {
    expect(parseLineHash(hash)).toEqual(range);
  });

  it.each(['', '#', '#L0', '#L', '#Lx', '#L1-', '#L1-L2-L3', '#readme', `#L${'9'.repeat(20)}`])(
    'ignores %j',
    (hash) => {
      expect(parseLineHash(hash)).toBeUndefined();
    },
  );

  it('extends a selection with shift-click from its anchor', () => {
    expect(extendSelection(undefined, 7, true)).toEqual({ first: 7, last: 7 });
    expect(extendSelection({ first: 5, last: 5 }, 9, true)).toEqual({ first: 5, last: 9 });
    expect(extendSelection({ first: 5, last: 9 }, 2, true)).toEqual({ first: 2, last: 9 });
    expect(extendSelection({ first: 5, last: 9 }, 3, false)).toEqual({ first: 3, last: 3 });
    expect(lineHash({ first: 3, last: 3 })).toBe('#L3');
    expect(lineHash({ first: 3, last: 8 })).toBe('#L3-L8');
  });
});

describe('LFS pointers in the UI', () => {
  const oid = 'a'.repeat(64);
  it('recognises a pointer and nothing else', () => {
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 1048576\n`;
    expect(parseLfsPointer(pointer)).toEqual({ oid, size: 1048576 });
    expect(parseLfsPointer(pointer.trimEnd())).toBeUndefined();
    expect(parseLfsPointer(pointer.replace('size 1048576', 'size 1e6'))).toBeUndefined();
    expect(parseLfsPointer('# Using git lfs\nversion https://git-lfs.github.com/spec/v1\n')).toBeUndefined();
  });

  it('prints sizes as people read them', () => {
    expect(formatBytes(131)).toBe('131 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB');
  });
});

describe('Markdown links inside the repository', () => {
  it.each([
    ['docs/guide.md', 'intro.md', { path: 'docs/intro.md', directory: false, fragment: '' }],
    ['docs/guide.md', './img/a.png', { path: 'docs/img/a.png', directory: false, fragment: '' }],
    ['docs/guide.md', '../src/', { path: 'src', directory: true, fragment: '' }],
    ['docs/guide.md', '/LICENSE', { path: 'LICENSE', directory: false, fragment: '' }],
    ['README.md', '../../../etc/passwd', { path: 'etc/passwd', directory: false, fragment: '' }],
    ['README.md', 'a%20b.md#usage', { path: 'a b.md', directory: false, fragment: '#usage' }],
    ['README.md', 'notes.md?plain=1', { path: 'notes.md', directory: false, fragment: '' }],
    ['README.md', '..', { path: '', directory: true, fragment: '' }],
    ['README.md', 'bad%E0%A4%A.md', { path: 'bad%E0%A4%A.md', directory: false, fragment: '' }],
  ])('in %s, %s', (file, href, target) => {
    expect(resolveRepoTarget(file, href)).toEqual(target);
  });

  it.each(['https://example.com/x', 'mailto:a@b.c', 'javascript:alert(1)', '//evil.example/x', '#top', ''])(
    'leaves %j alone',
    (href) => {
      expect(resolveRepoTarget('README.md', href)).toBeUndefined();
    },
  );

  it('makes heading anchors as GitHub does', () => {
    expect(headingSlug('Getting Started!')).toBe('getting-started');
    expect(headingSlug('API: `get()` & more')).toBe('api-get--more');
    expect(headingSlug('Ünïcode Überschrift')).toBe('ünïcode-überschrift');
    const slugger = new Slugger();
    expect(['Usage', 'Usage', 'Usage-1', 'Usage'].map((text) => slugger.slug(text))).toEqual([
      'usage',
      'usage-1',
      'usage-1-1',
      'usage-2',
    ]);
  });
});
