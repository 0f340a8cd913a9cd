import type { HLJSApi } from 'highlight.js';
import { loadGrammar, type Grammar } from './grammars.js';

/** Past this size a file is shown plain: highlighting stays well under a frame's budget. */
export const MAX_HIGHLIGHT_CHARS = 256 * 1024;

/** A run of text with the highlight.js scope classes it is in (innermost last), or none. */
export interface Segment {
  readonly text: string;
  readonly className?: string;
}

export type HighlightedLine = readonly Segment[];

let engine: Promise<HLJSApi> | undefined;

/** The engine, fetched on first use; grammars are registered into it as they are loaded. */
function highlightEngine(): Promise<HLJSApi> {
  engine ??= import('highlight.js/lib/core').then((module) => {
    const hljs = module.default;
    // Input is always text we escape ourselves; nothing to warn about.
    hljs.configure({ ignoreUnescapedHTML: true, throwUnescapedHTML: false });
    return hljs;
  });
  return engine;
}

async function ready(grammar: Grammar): Promise<HLJSApi> {
  const hljs = await highlightEngine();
  if (!hljs.getLanguage(grammar)) hljs.registerLanguage(grammar, await loadGrammar(grammar));
  return hljs;
}

/**
 * Highlights `text` as `grammar` and splits it into lines, each a flat list of segments (a scope
 * spanning lines, such as a block comment or a template string, is carried onto every line).
 */
export async function highlightLines(text: string, grammar: Grammar): Promise<HighlightedLine[]> {
  const hljs = await ready(grammar);
  return splitHighlighted(hljs.highlight(text, { language: grammar, ignoreIllegals: true }).value);
}

/** Highlighted HTML of a Markdown code block (highlight.js escapes the text itself). */
export async function highlightHtml(text: string, grammar: Grammar): Promise<string> {
  const hljs = await ready(grammar);
  return hljs.highlight(text, { language: grammar, ignoreIllegals: true }).value;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#39;': "'",
};

/**
 * Reads highlight.js's output — only `<span class="…">`, `</span>` and escaped text — back into
 * segments per line, so the viewer renders React elements and never parses HTML.
 */
export function splitHighlighted(html: string): HighlightedLine[] {
  const lines: Segment[][] = [[]];
  const scopes: string[] = [];
  const pattern = /<span class="([^"]*)">|<\/span>|([^<]+)/g;
  for (let match = pattern.exec(html); match; match = pattern.exec(html)) {
    if (match[1] !== undefined) scopes.push(match[1]);
    else if (match[2] === undefined) scopes.pop();
    else {
      const text = match[2].replace(/&(amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity] ?? entity);
      const className = scopes.at(-1);
      text.split('\n').forEach((piece, index) => {
        if (index > 0) lines.push([]);
        if (piece) lines.at(-1)?.push(className ? { text: piece, className } : { text: piece });
      });
    }
  }
  return lines;
}

/** Unhighlighted lines, in the same shape. */
export function plainLines(text: string): HighlightedLine[] {
  return text.split('\n').map((line) => (line ? [{ text: line }] : []));
}
