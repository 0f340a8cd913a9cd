/**
 * Lexical rules for the languages the file viewer highlights. Each language is a list of
 * (token class, pattern) pairs tried in order at every position; the first that matches wins.
 * Good enough to colour code for reading; not a parser.
 */
export type TokenClass = 'comment' | 'string' | 'keyword' | 'number' | 'literal' | 'tag' | 'attr' | 'heading';

export interface Language {
  readonly name: string;
  readonly rules: ReadonlyArray<readonly [TokenClass, RegExp]>;
}

const words = (list: string) => new RegExp(`\\b(?:${list.trim().split(/\s+/).join('|')})\\b`, 'y');
const NUMBER: [TokenClass, RegExp] = [
  'number',
  /\b(?:0x[\da-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\b/y,
];
const DQ: [TokenClass, RegExp] = ['string', /"(?:[^"\\\n]|\\.)*"?/y];
const SQ: [TokenClass, RegExp] = ['string', /'(?:[^'\\\n]|\\.)*'?/y];
const SLASH_COMMENTS: Array<[TokenClass, RegExp]> = [
  ['comment', /\/\/.*/y],
  ['comment', /\/\*[\s\S]*?(?:\*\/|$)/y],
];
const HASH_COMMENT: [TokenClass, RegExp] = ['comment', /#.*/y];

const C_LIKE_LITERALS: [TokenClass, RegExp] = [
  'literal',
  words('true false null undefined nil None True False NULL self this super'),
];

const languages: Record<string, Language> = {
  javascript: {
    name: 'JavaScript',
    rules: [
      ...SLASH_COMMENTS,
      DQ,
      SQ,
      ['string', /`(?:[^`\\]|\\[\s\S])*`?/y],
      [
        'keyword',
        words(`async await break case catch class const continue debugger default delete do else enum export extends
        finally for from function if implements import in instanceof interface let new of private protected public
        readonly return static switch throw try type typeof var void while with yield as satisfies keyof`),
      ],
      C_LIKE_LITERALS,
      NUMBER,
    ],
  },
  python: {
    name: 'Python',
    rules: [
      HASH_COMMENT,
      ['string', /(?:[rbfu]{0,2})(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$))/y],
      DQ,
      SQ,
      [
        'keyword',
        words(`and as assert async await break class continue def del elif else except finally for from global
        if import in is lambda nonlocal not or pass raise return try while with yield match case`),
      ],
      C_LIKE_LITERALS,
      NUMBER,
    ],
  },
  go: {
    name: 'Go',
    rules: [
      ...SLASH_COMMENTS,
      DQ,
      ['string', /`[^`]*`?/y],
      SQ,
      [
        'keyword',
        words(`break case chan const continue default defer else fallthrough for func go goto if import
        interface map package range return select struct switch type var`),
      ],
      C_LIKE_LITERALS,
      NUMBER,
    ],
  },
  rust: {
    name: 'Rust',
    rules: [
      ...SLASH_COMMENTS,
      DQ,
      [
        'keyword',
        words(`as async await break const continue crate dyn else enum extern fn for if impl in let loop match
        mod move mut pub ref return static struct trait type unsafe use where while Self`),
      ],
      C_LIKE_LITERALS,
      NUMBER,
    ],
  },
  c: {
    name: 'C/C++/Java',
    rules: [
      ...SLASH_COMMENTS,
      ['keyword', /#\s*\w+/y],
      DQ,
      SQ,
      [
        'keyword',
        words(`auto break case catch char class const continue default delete do double else enum extends
        extern final float for goto if implements import int long namespace new package private protected public
        return short signed sizeof static struct switch template this throw try typedef union unsigned using virtual
        void volatile while boolean byte`),
      ],
      C_LIKE_LITERALS,
      NUMBER,
    ],
  },
  shell: {
    name: 'Shell',
    rules: [
      HASH_COMMENT,
      DQ,
      ['string', /'[^']*'?/y],
      [
        'keyword',
        words('if then else elif fi for while do done case esac in function return local export set unset'),
      ],
      ['attr', /\$\{?[\w@#?*!-]+\}?/y],
      NUMBER,
    ],
  },
  json: { name: 'JSON', rules: [['attr', /"(?:[^"\\\n]|\\.)*"(?=\s*:)/y], DQ, C_LIKE_LITERALS, NUMBER] },
  yaml: {
    name: 'YAML',
    rules: [HASH_COMMENT, ['attr', /[\w.-]+(?=\s*:(?:\s|$))/y], DQ, SQ, C_LIKE_LITERALS, NUMBER],
  },
  markdown: {
    name: 'Markdown',
    rules: [
      ['heading', /^#{1,6} .*/my],
      ['string', /`[^`\n]*`/y],
      ['attr', /\[[^\]\n]*\]\([^)\n]*\)/y],
    ],
  },
  html: {
    name: 'HTML/XML',
    rules: [
      ['comment', /<!--[\s\S]*?(?:-->|$)/y],
      ['tag', /<\/?[\w:-]+/y],
      ['attr', /[\w:-]+(?==)/y],
      DQ,
      SQ,
    ],
  },
  css: {
    name: 'CSS',
    rules: [
      ['comment', /\/\*[\s\S]*?(?:\*\/|$)/y],
      DQ,
      SQ,
      ['attr', /[\w-]+(?=\s*:)/y],
      ['number', /#[\da-fA-F]{3,8}\b/y],
      NUMBER,
    ],
  },
};

const BY_EXTENSION: Readonly<Record<string, string>> = {
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'javascript',
  tsx: 'javascript',
  mts: 'javascript',
  cts: 'javascript',
  py: 'python',
  go: 'go',
  rs: 'rust',
  c: 'c',
  h: 'c',
  cc: 'c',
  cpp: 'c',
  hpp: 'c',
  java: 'c',
  kt: 'c',
  cs: 'c',
  swift: 'c',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'yaml',
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
  xml: 'html',
  svg: 'html',
  vue: 'html',
  css: 'css',
  scss: 'css',
  less: 'css',
};

/** The language of a file name, or undefined (shown as plain text). */
export function languageFor(fileName: string): Language | undefined {
  const base = fileName.split('/').pop() ?? '';
  if (base === 'Dockerfile' || base === 'Makefile') return languages.shell;
  const extension = base.includes('.') ? base.split('.').pop()!.toLowerCase() : '';
  const key = BY_EXTENSION[extension];
  return key ? languages[key] : undefined;
}
