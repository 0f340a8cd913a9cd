import { Fragment, useMemo, useState, type ReactNode } from 'react';
import { grammarForPath, type Grammar } from '../highlight/grammars.js';
import type { HighlightedLine } from '../highlight/highlighter.js';
import { useHighlightedLines } from '../highlight/use-highlighted-lines.js';
import { Segments } from './file-view';
import type { Diff, DiffLine, FileDiff, Hunk } from '../types';

const STATUS_LABEL: Record<FileDiff['status'], string> = {
  added: 'added',
  deleted: 'deleted',
  modified: 'modified',
  type_changed: 'type changed',
};

export type DiffMode = 'unified' | 'split';
export type DiffSide = 'old' | 'new';

/**
 * What a page hangs under diff lines (the review threads of a merge request). `rowsFor` returns
 * what goes under a line of one side, or nothing; `onLine`, when given, turns the line numbers
 * into buttons that start something on that line (a new comment).
 */
export interface LineAnnotations {
  rowsFor(path: string, side: DiffSide, line: number): ReactNode;
  onLine?(path: string, side: DiffSide, line: number): void;
}

interface DiffViewProps {
  diff: Diff;
  mode?: DiffMode;
  annotations?: LineAnnotations;
}

/** Per-file diffs (unified or side by side) with line numbers, a summary and collapsible files. */
export function DiffView({ diff, mode = 'unified', annotations }: DiffViewProps) {
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
        <FileDiffView key={file.path} file={file} mode={mode} annotations={annotations} />
      ))}
    </section>
  );
}

interface FileProps {
  file: FileDiff;
  mode: DiffMode;
  annotations: LineAnnotations | undefined;
}

function FileDiffView({ file, mode, annotations }: FileProps) {
  const [open, setOpen] = useState(true);
  return (
    <article className="file-diff" data-testid="file-diff" data-path={file.path}>
      <header>
        <button
          type="button"
          aria-expanded={open}
          aria-label={`${open ? 'Collapse' : 'Expand'} ${file.path}`}
          onClick={() => setOpen(!open)}
          className="toggle"
        >
          {open ? '▾' : '▸'}
        </button>
        <code className="file-path">{file.path}</code>
        <span className={`badge status-${file.status}`}>{STATUS_LABEL[file.status]}</span>
        <span className="add-count">+{file.additions}</span>
        <span className="del-count">−{file.deletions}</span>
      </header>
      {open && <FileDiffBody file={file} mode={mode} annotations={annotations} />}
    </article>
  );
}

function FileDiffBody({ file, mode, annotations }: FileProps) {
  if (file.binary) return <p className="muted diff-note">Binary file not shown.</p>;
  if (file.omitted)
    return <p className="muted diff-note">Diff not shown ({file.omitted.replaceAll('_', ' ')}).</p>;
  if (file.hunks.length === 0) return <p className="muted diff-note">No content changes.</p>;
  const lineCount = file.hunks.reduce((sum, hunk) => sum + hunk.lines.length, 0);
  const language = lineCount <= MAX_HIGHLIGHT_DIFF_LINES ? grammarForPath(file.path) : undefined;
  const Rows = mode === 'split' ? SplitHunkRows : UnifiedHunkRows;
  return (
    // Long lines scroll inside this box; focusable, so the keyboard can scroll it too.
    <div className="diff-scroll" tabIndex={0} role="region" aria-label={`Changes of ${file.path}`}>
      <table className={`diff-table diff-${mode}`}>
        <tbody>
          {file.hunks.map((hunk, index) => (
            <Rows key={index} path={file.path} hunk={hunk} language={language} annotations={annotations} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Diffs longer than this are shown without highlighting. */
const MAX_HIGHLIGHT_DIFF_LINES = 3000;

interface HunkProps {
  path: string;
  hunk: Hunk;
  language: Grammar | undefined;
  annotations: LineAnnotations | undefined;
}

/** A hunk's lines highlighted together (plain until the grammar has loaded). */
function useLineTokens(hunk: Hunk, language: Grammar | undefined): readonly HighlightedLine[] {
  const text = useMemo(() => hunk.lines.map((line) => line.text).join('\n'), [hunk]);
  return useHighlightedLines(text, language);
}

function HunkHeader({ hunk, columns }: { hunk: Hunk; columns: number }) {
  return (
    <tr className="hunk-header">
      <td colSpan={columns}>
        @@ -{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@
      </td>
    </tr>
  );
}

const SIGN: Record<DiffLine['kind'], string> = { add: '+', delete: '-', context: ' ' };

/** A line number cell: a button that starts a comment when the page allows it. */
function LineNumber(props: {
  path: string;
  side: DiffSide;
  line: number | undefined;
  annotations: LineAnnotations | undefined;
}) {
  const { path, side, line, annotations } = props;
  if (line === undefined) return <td className="line-number" />;
  const onLine = annotations?.onLine;
  if (!onLine) return <td className="line-number">{line}</td>;
  return (
    <td className="line-number">
      <button
        type="button"
        className="line-comment"
        data-side={side}
        data-line={line}
        aria-label={`Comment on ${side} line ${line} of ${path}`}
        onClick={() => onLine(path, side, line)}
      >
        {line}
      </button>
    </td>
  );
}

function CodeCell({ line, tokens }: { line: DiffLine; tokens: HighlightedLine }) {
  return (
    <td className="line-code">
      <span className="diff-sign" aria-hidden="true">
        {SIGN[line.kind]}
      </span>
      <Segments segments={tokens} />
    </td>
  );
}

/** What hangs under a line: the old side's and the new side's annotations. */
function annotationsOf(
  annotations: LineAnnotations | undefined,
  path: string,
  old: number | undefined,
  added: number | undefined,
): [ReactNode, ReactNode] {
  if (!annotations) return [null, null];
  return [
    old === undefined ? null : annotations.rowsFor(path, 'old', old),
    added === undefined ? null : annotations.rowsFor(path, 'new', added),
  ];
}

function UnifiedHunkRows({ path, hunk, language, annotations }: HunkProps) {
  const tokens = useLineTokens(hunk, language);
  return (
    <>
      <HunkHeader hunk={hunk} columns={3} />
      {hunk.lines.map((line, index) => {
        const [oldRows, newRows] = annotationsOf(annotations, path, line.oldNumber, line.newNumber);
        return (
          <Fragment key={index}>
            <tr className={`diff-${line.kind}`}>
              <LineNumber path={path} side="old" line={line.oldNumber} annotations={annotations} />
              <LineNumber path={path} side="new" line={line.newNumber} annotations={annotations} />
              <CodeCell line={line} tokens={tokens[index] ?? []} />
            </tr>
            {(oldRows || newRows) && (
              <tr className="diff-annotation-row">
                <td colSpan={3}>
                  {oldRows}
                  {newRows}
                </td>
              </tr>
            )}
          </Fragment>
        );
      })}
    </>
  );
}

/** One row of a side-by-side diff: an old line, a new line, or both (context or a change). */
interface SplitRow {
  old?: number;
  new?: number;
}

/**
 * Pairs a hunk's lines into side-by-side rows: context lines face themselves; a run of deleted
 * lines faces the run of added lines that follows it, line by line, the longer run's rest alone.
 */
export function splitRows(lines: readonly DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] as DiffLine;
    if (line.kind === 'context') {
      rows.push({ old: index, new: index });
      index += 1;
      continue;
    }
    const deleted: number[] = [];
    while (index < lines.length && lines[index]?.kind === 'delete') deleted.push(index++);
    const added: number[] = [];
    while (index < lines.length && lines[index]?.kind === 'add') added.push(index++);
    for (let at = 0; at < Math.max(deleted.length, added.length); at += 1) {
      rows.push({
        ...(at < deleted.length ? { old: deleted[at] } : {}),
        ...(at < added.length ? { new: added[at] } : {}),
      });
    }
  }
  return rows;
}

function SplitHunkRows({ path, hunk, language, annotations }: HunkProps) {
  const tokens = useLineTokens(hunk, language);
  const rows = useMemo(() => splitRows(hunk.lines), [hunk]);
  return (
    <>
      <HunkHeader hunk={hunk} columns={4} />
      {rows.map((row, index) => {
        const oldLine = row.old === undefined ? undefined : hunk.lines[row.old];
        const newLine = row.new === undefined ? undefined : hunk.lines[row.new];
        const [oldRows, newRows] = annotationsOf(annotations, path, oldLine?.oldNumber, newLine?.newNumber);
        return (
          <Fragment key={index}>
            <tr className="diff-split-row">
              <LineNumber path={path} side="old" line={oldLine?.oldNumber} annotations={annotations} />
              {oldLine ? (
                <SplitCode line={oldLine} tokens={tokens[row.old as number] ?? []} />
              ) : (
                <td className="line-code diff-empty" />
              )}
              <LineNumber path={path} side="new" line={newLine?.newNumber} annotations={annotations} />
              {newLine ? (
                <SplitCode line={newLine} tokens={tokens[row.new as number] ?? []} />
              ) : (
                <td className="line-code diff-empty" />
              )}
            </tr>
            {(oldRows || newRows) && (
              // One cell across both sides: a thread stays readable where the new side is off-screen.
              <tr className="diff-annotation-row">
                <td colSpan={4}>
                  {oldRows}
                  {newRows}
                </td>
              </tr>
            )}
          </Fragment>
        );
      })}
    </>
  );
}

/** A code cell of the split view, coloured by its own line's kind. */
function SplitCode({ line, tokens }: { line: DiffLine; tokens: HighlightedLine }) {
  return (
    <td className={`line-code diff-${line.kind}`}>
      <span className="diff-sign" aria-hidden="true">
        {SIGN[line.kind]}
      </span>
      <Segments segments={tokens} />
    </td>
  );
}
