import { useMemo, useState } from 'react';
import { languageFor, type Language } from '../highlight/languages';
import { tokenize } from '../highlight/tokenize';
import { Tokens } from './file-view';
import type { Diff, FileDiff } from '../types';

const STATUS_LABEL: Record<FileDiff['status'], string> = {
  added: 'added',
  deleted: 'deleted',
  modified: 'modified',
  type_changed: 'type changed',
};

/** Per-file unified diffs with old/new line numbers, a summary and collapsible files. */
export function DiffView({ diff }: { diff: Diff }) {
  const additions = diff.files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = diff.files.reduce((sum, file) => sum + file.deletions, 0);
  return (
    <section className="diff" aria-label="Changes">
      <p className="diff-summary">
        {diff.files.length} file{diff.files.length === 1 ? '' : 's'} changed,{' '}
        <span className="add-count">+{additions}</span> <span className="del-count">−{deletions}</span>
        {diff.truncated && <strong> (list truncated)</strong>}
      </p>
      {diff.files.map((file) => (
        <FileDiffView key={file.path} file={file} />
      ))}
    </section>
  );
}

function FileDiffView({ file }: { file: FileDiff }) {
  const [open, setOpen] = useState(true);
  return (
    <article className="file-diff" data-testid="file-diff">
      <header>
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)} className="toggle">
          {open ? '▾' : '▸'}
        </button>
        <code className="file-path">{file.path}</code>
        <span className={`badge status-${file.status}`}>{STATUS_LABEL[file.status]}</span>
        <span className="add-count">+{file.additions}</span>
        <span className="del-count">−{file.deletions}</span>
      </header>
      {open && <FileDiffBody file={file} />}
    </article>
  );
}

function FileDiffBody({ file }: { file: FileDiff }) {
  if (file.binary) return <p className="muted diff-note">Binary file not shown.</p>;
  if (file.omitted)
    return <p className="muted diff-note">Diff not shown ({file.omitted.replaceAll('_', ' ')}).</p>;
  if (file.hunks.length === 0) return <p className="muted diff-note">No content changes.</p>;
  const lineCount = file.hunks.reduce((sum, hunk) => sum + hunk.lines.length, 0);
  const language = lineCount <= MAX_HIGHLIGHT_DIFF_LINES ? languageFor(file.path) : undefined;
  return (
    <div className="diff-scroll">
      <table className="diff-table">
        <tbody>
          {file.hunks.map((hunk, index) => (
            <HunkRows key={index} hunk={hunk} language={language} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Diffs longer than this are shown without highlighting. */
const MAX_HIGHLIGHT_DIFF_LINES = 3000;

function HunkRows({ hunk, language }: { hunk: FileDiff['hunks'][number]; language: Language | undefined }) {
  // Lines are highlighted one by one: a hunk may start inside a comment, which then shows plain.
  const tokens = useMemo(
    () => hunk.lines.map((line) => (language ? tokenize(line.text, language) : [{ text: line.text }])),
    [hunk, language],
  );
  return (
    <>
      <tr className="hunk-header">
        <td colSpan={3}>
          @@ -{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@
        </td>
      </tr>
      {hunk.lines.map((line, index) => (
        <tr key={index} className={`diff-${line.kind}`}>
          <td className="line-number">{line.oldNumber ?? ''}</td>
          <td className="line-number">{line.newNumber ?? ''}</td>
          <td className="line-code">
            <span className="diff-sign" aria-hidden="true">
              {line.kind === 'add' ? '+' : line.kind === 'delete' ? '-' : ' '}
            </span>
            <Tokens tokens={tokens[index] ?? []} />
          </td>
        </tr>
      ))}
    </>
  );
}
