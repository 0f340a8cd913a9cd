import { useMemo } from 'react';
import { languageFor } from '../highlight/languages';
import { MAX_HIGHLIGHT_BYTES, splitTokenLines, tokenize, type Token } from '../highlight/tokenize';

/** Past this many lines the viewer renders one plain block (a 1 MB file stays fast). */
const MAX_LINE_ROWS = 5_000;

/** Source with line numbers (each an anchor `#L<n>`) and syntax highlighting. */
export function FileView({ path, content }: { path: string; content: string }) {
  const language = languageFor(path);
  const lines = useMemo(() => {
    const text = content.endsWith('\n') ? content.slice(0, -1) : content;
    if (!language || content.length > MAX_HIGHLIGHT_BYTES)
      return text.split('\n').map((line) => [{ text: line }]);
    return splitTokenLines(tokenize(text, language));
  }, [content, language]);
  if (lines.length > MAX_LINE_ROWS) return <PlainView lines={lines} />;
  return (
    <div className="code-view" role="region" aria-label={`Contents of ${path}`} tabIndex={0}>
      <table className="code">
        <tbody>
          {lines.map((tokens, index) => (
            <tr key={index} id={`L${index + 1}`}>
              <td className="line-number">
                <a href={`#L${index + 1}`} aria-label={`Line ${index + 1}`}>
                  {index + 1}
                </a>
              </td>
              <td className="line-code">
                <Tokens tokens={tokens} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PlainView({ lines }: { lines: readonly Token[][] }) {
  const numbers = lines.map((_, index) => index + 1).join('\n');
  const text = lines.map((tokens) => tokens.map((token) => token.text).join('')).join('\n');
  return (
    <div className="code-view plain" tabIndex={0} role="region" aria-label="File contents">
      <pre className="gutter" aria-hidden="true">
        {numbers}
      </pre>
      <pre className="plain-code">{text}</pre>
    </div>
  );
}

export function Tokens({ tokens }: { tokens: readonly Token[] }) {
  return (
    <>
      {tokens.map((token, index) =>
        token.kind ? (
          <span key={index} className={`tok-${token.kind}`}>
            {token.text}
          </span>
        ) : (
          token.text
        ),
      )}
    </>
  );
}
