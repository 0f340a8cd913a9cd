import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { grammarForPath } from '../highlight/grammars.js';
import type { HighlightedLine } from '../highlight/highlighter.js';
import { useHighlightedLines } from '../highlight/use-highlighted-lines.js';
import { extendSelection, lineHash, parseLineHash, type LineRange } from './line-selection.js';

/** Past this many lines the viewer renders one plain block (a 1 MB file stays fast). */
const MAX_LINE_ROWS = 5_000;

/**
 * Source with line numbers and highlighting. `#L300` scrolls to and marks line 300, `#L10-L20` a
 * range; clicking a number selects its line (shift-click extends) and puts it in the URL.
 */
export function FileView({ path, content }: { path: string; content: string }) {
  const text = content.endsWith('\n') ? content.slice(0, -1) : content;
  const lines = useHighlightedLines(text, grammarForPath(path));
  const [selection, select] = useLineSelection();
  const table = useRef<HTMLTableElement>(null);
  const scrolledTo = useRef<string>(undefined);
  useEffect(() => {
    // Scroll once per fragment (not again when highlighting re-renders the rows).
    const hash = window.location.hash;
    if (!selection || scrolledTo.current === hash) return;
    scrolledTo.current = hash;
    table.current?.querySelector(`#L${selection.first}`)?.scrollIntoView({ block: 'center' });
  }, [selection, lines.length]);
  if (lines.length > MAX_LINE_ROWS) return <PlainView path={path} text={text} count={lines.length} />;
  const click = (event: MouseEvent<HTMLAnchorElement>, line: number) => {
    event.preventDefault();
    const next = extendSelection(selection, line, event.shiftKey);
    // The clicked line is on screen already: selecting it must not scroll the page.
    scrolledTo.current = lineHash(next);
    select(next);
  };
  return (
    <div className="code-view" role="region" aria-label={`Contents of ${path}`} tabIndex={0}>
      <table className="code" ref={table}>
        <tbody>
          {lines.map((segments, index) => {
            const line = index + 1;
            const selected = selection && line >= selection.first && line <= selection.last;
            return (
              <tr key={index} id={`L${line}`} className={selected ? 'selected-line' : undefined}>
                <td className="line-number">
                  <a href={`#L${line}`} aria-label={`Line ${line}`} onClick={(event) => click(event, line)}>
                    {line}
                  </a>
                </td>
                <td className="line-code">
                  <Segments segments={segments} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The selected lines from the URL's fragment, kept in step with back/forward and typed URLs. */
function useLineSelection(): [LineRange | undefined, (range: LineRange) => void] {
  const [selection, setSelection] = useState(() => parseLineHash(window.location.hash));
  useEffect(() => {
    const update = () => setSelection(parseLineHash(window.location.hash));
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  const select = (range: LineRange) => {
    // replaceState: selecting lines is not a navigation (Back leaves the file, as on GitHub).
    window.history.replaceState(window.history.state, '', lineHash(range));
    setSelection(range);
  };
  return [selection, select];
}

/** One highlighted line: its segments, each with the grammar's class. */
export function Segments({ segments }: { segments: HighlightedLine }) {
  return (
    <>
      {segments.map((segment, index) =>
        segment.className ? (
          <span key={index} className={segment.className}>
            {segment.text}
          </span>
        ) : (
          segment.text
        ),
      )}
    </>
  );
}

function PlainView({ path, text, count }: { path: string; text: string; count: number }) {
  const numbers = Array.from({ length: count }, (_, index) => index + 1).join('\n');
  return (
    <div className="code-view plain" tabIndex={0} role="region" aria-label={`Contents of ${path}`}>
      <pre className="gutter" aria-hidden="true">
        {numbers}
      </pre>
      <pre className="plain-code">{text}</pre>
    </div>
  );
}
