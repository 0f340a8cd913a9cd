import { useEffect, useState } from 'react';
import type { Grammar } from './grammars.js';
import { highlightLines, MAX_HIGHLIGHT_CHARS, plainLines, type HighlightedLine } from './highlighter.js';

/**
 * `text` split into lines: plain at once, then highlighted when the grammar's chunk has arrived
 * (the first paint never waits for the engine). Too large a text, or no grammar, stays plain.
 */
export function useHighlightedLines(text: string, grammar: Grammar | undefined): readonly HighlightedLine[] {
  const [state, setState] = useState(() => ({ text, grammar, lines: plainLines(text) }));
  const stale = state.text !== text || state.grammar !== grammar;
  if (stale) setState({ text, grammar, lines: plainLines(text) });
  useEffect(() => {
    if (!grammar || text.length > MAX_HIGHLIGHT_CHARS) return;
    let cancelled = false;
    highlightLines(text, grammar).then(
      (lines) => !cancelled && setState({ text, grammar, lines }),
      // A grammar chunk that fails to load (offline, new deploy) leaves the text plain.
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [text, grammar]);
  return stale ? plainLines(text) : state.lines;
}
