import type { LanguageFn } from 'highlight.js';

/**
 * Which highlight.js grammar reads which file, and how to fetch it. Each grammar is its own chunk
 * loaded on first use (a literal `import()` per entry), so a page pays only for the languages it
 * shows; the engine itself (`highlight.js/lib/core`) is one more lazy chunk.
 */
type GrammarLoader = () => Promise<{ default: LanguageFn }>;

const GRAMMARS: Readonly<Record<string, GrammarLoader>> = {
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  graphql: () => import('highlight.js/lib/languages/graphql'),
  ini: () => import('highlight.js/lib/languages/ini'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  less: () => import('highlight.js/lib/languages/less'),
  lua: () => import('highlight.js/lib/languages/lua'),
  makefile: () => import('highlight.js/lib/languages/makefile'),
  markdown: () => import('highlight.js/lib/languages/markdown'),
  perl: () => import('highlight.js/lib/languages/perl'),
  php: () => import('highlight.js/lib/languages/php'),
  protobuf: () => import('highlight.js/lib/languages/protobuf'),
  python: () => import('highlight.js/lib/languages/python'),
  r: () => import('highlight.js/lib/languages/r'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scala: () => import('highlight.js/lib/languages/scala'),
  scss: () => import('highlight.js/lib/languages/scss'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

export type Grammar = keyof typeof GRAMMARS & string;

/** File extensions and fence names (```ts) → grammar. */
const ALIASES: Readonly<Record<string, string>> = {
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  shell: 'bash',
  console: 'bash',
  h: 'c',
  cc: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  hh: 'cpp',
  'c++': 'cpp',
  cs: 'csharp',
  patch: 'diff',
  golang: 'go',
  gql: 'graphql',
  toml: 'ini',
  cfg: 'ini',
  conf: 'ini',
  editorconfig: 'ini',
  gitconfig: 'ini',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  kt: 'kotlin',
  kts: 'kotlin',
  mk: 'makefile',
  mak: 'makefile',
  md: 'markdown',
  mdx: 'markdown',
  pl: 'perl',
  pm: 'perl',
  proto: 'protobuf',
  py: 'python',
  pyi: 'python',
  rb: 'ruby',
  gemspec: 'ruby',
  rake: 'ruby',
  rs: 'rust',
  sc: 'scala',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
  html: 'xml',
  htm: 'xml',
  svg: 'xml',
  xhtml: 'xml',
  plist: 'xml',
  csproj: 'xml',
  vue: 'xml',
  yml: 'yaml',
  jsonc: 'json',
  json5: 'json',
  webmanifest: 'json',
};

/** Whole file names that say their language without an extension. */
const FILE_NAMES: Readonly<Record<string, string>> = {
  dockerfile: 'dockerfile',
  containerfile: 'dockerfile',
  makefile: 'makefile',
  gnumakefile: 'makefile',
  gemfile: 'ruby',
  rakefile: 'ruby',
  '.bashrc': 'bash',
  '.profile': 'bash',
  '.gitconfig': 'ini',
};

function known(name: string | undefined): Grammar | undefined {
  if (!name) return undefined;
  const key = name.toLowerCase();
  const grammar = Object.hasOwn(GRAMMARS, key) ? key : ALIASES[key];
  return grammar && Object.hasOwn(GRAMMARS, grammar) ? grammar : undefined;
}

/** The grammar of a file path (`src/a.ts` → typescript), or undefined for plain text. */
export function grammarForPath(path: string): Grammar | undefined {
  const name = (path.split('/').pop() ?? '').toLowerCase();
  const byName = FILE_NAMES[name];
  if (byName) return known(byName);
  if (name.startsWith('dockerfile.')) return 'dockerfile';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : known(name.slice(dot + 1));
}

/** The grammar of a Markdown fence's info string (```ts title="x"` → typescript). */
export function grammarForFence(info: string | undefined): Grammar | undefined {
  return known(info?.trim().split(/\s+/)[0]);
}

/** Fetches the grammar's chunk (once; the module cache keeps it). */
export function loadGrammar(grammar: Grammar): Promise<LanguageFn> {
  const loader = GRAMMARS[grammar];
  if (!loader) return Promise.reject(new Error(`no grammar ${grammar}`));
  return loader().then((module) => module.default);
}
