import { useMemo, useState } from 'react';
import { apiUrl, useApi } from '../api';
import type { Optional } from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type {
  Diff,
  Discussion,
  DiscussionThread,
  LinePosition,
  MergeRequestChange,
  MergeRequestDetail,
} from '../types';
import { DiffView, type DiffMode, type DiffSide, type LineAnnotations } from './diff-view';
import { NewLineThread, SignInToComment, ThreadView } from './mr-discussion';
import { ErrorBox, Load } from './status';

const MODE_KEY = 'mega.diff-mode';

function storedMode(): DiffMode {
  return window.localStorage.getItem(MODE_KEY) === 'split' ? 'split' : 'unified';
}

/** The reader's diff layout, remembered across pages and visits. */
function useDiffMode(): [DiffMode, (mode: DiffMode) => void] {
  const [mode, setMode] = useState<DiffMode>(storedMode);
  const choose = (next: DiffMode) => {
    window.localStorage.setItem(MODE_KEY, next);
    setMode(next);
  };
  return [mode, choose];
}

type Draft = Omit<LinePosition, 'commitId'>;

const lineKey = (path: string, side: DiffSide, line: number) => `${path}\n${side}\n${line}`;

interface ChangesProps {
  mr: MergeRequestDetail;
  discussion: Optional<Discussion>;
  signedIn: boolean;
  onDiscussionChanged: () => void;
}

/** The Changes tab: each touched repository's diff, unified or split, with line threads. */
export function MergeRequestChanges({ mr, discussion, signedIn, onDiscussionChanged }: ChangesProps) {
  const [mode, setMode] = useDiffMode();
  const [draft, setDraft] = useState<Draft>();
  const threads = discussion.state === 'ready' ? discussion.data.threads : [];
  return (
    <>
      <div className="toolbar">
        <fieldset className="segmented" aria-label="Diff layout">
          <legend className="visually-hidden">Diff layout</legend>
          {(['unified', 'split'] as const).map((value) => (
            <button key={value} type="button" aria-pressed={mode === value} onClick={() => setMode(value)}>
              {value === 'unified' ? 'Unified' : 'Split'}
            </button>
          ))}
        </fieldset>
        {discussion.state === 'ready' && !signedIn && <SignInToComment />}
        {discussion.state === 'unavailable' && (
          <p className="muted small" data-testid="comments-unavailable">
            Line comments are not available on this server.
          </p>
        )}
      </div>
      {discussion.state === 'error' && <ErrorBox error={discussion.error} />}
      {mr.changes.map((change) => (
        <RepositoryChanges
          key={change.repoPath}
          mr={mr}
          change={change}
          mode={mode}
          threads={threads.filter((thread) => thread.position?.repoPath === change.repoPath)}
          canComment={signedIn && discussion.state === 'ready'}
          draft={draft?.repoPath === change.repoPath ? draft : undefined}
          setDraft={setDraft}
          onDiscussionChanged={onDiscussionChanged}
          signedIn={signedIn}
        />
      ))}
    </>
  );
}

interface RepositoryProps {
  mr: MergeRequestDetail;
  change: MergeRequestChange;
  mode: DiffMode;
  threads: DiscussionThread[];
  canComment: boolean;
  signedIn: boolean;
  draft: Draft | undefined;
  setDraft: (draft: Draft | undefined) => void;
  onDiscussionChanged: () => void;
}

function RepositoryChanges(props: RepositoryProps) {
  const { mr, change } = props;
  const included = mr.diffs?.find((item) => item.repoPath === change.repoPath)?.diff;
  return (
    <section className="mr-repo-changes" aria-label={`Changes in ${change.repoPath}`}>
      <h2>
        <Link to={paths.directory(change.repoPath)}>{change.repoPath}</Link>{' '}
        <small className="muted">
          {change.baseCommit.slice(0, 10)} → {change.headCommit.slice(0, 10)}
        </small>
      </h2>
      {included ? <AnnotatedDiff {...props} diff={included} /> : <CompareDiff {...props} />}
    </section>
  );
}

function CompareDiff(props: RepositoryProps) {
  const { change } = props;
  const compare = useApi<{ diff: Diff }>(
    apiUrl('repos/compare', { repo: change.repoPath, from: change.baseCommit, to: change.headCommit }),
  );
  return <Load value={compare} render={(data) => <AnnotatedDiff {...props} diff={data.diff} />} />;
}

/** Keys of every line a diff shows, per side: where a thread can hang. */
function shownLines(diff: Diff): Set<string> {
  const keys = new Set<string>();
  for (const file of diff.files) {
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        if (line.oldNumber !== undefined) keys.add(lineKey(file.path, 'old', line.oldNumber));
        if (line.newNumber !== undefined) keys.add(lineKey(file.path, 'new', line.newNumber));
      }
    }
  }
  return keys;
}

function AnnotatedDiff(props: RepositoryProps & { diff: Diff }) {
  const { mr, change, diff, threads, draft, setDraft, canComment, signedIn, onDiscussionChanged } = props;
  const byLine = useMemo(() => {
    const map = new Map<string, DiscussionThread[]>();
    for (const thread of threads) {
      const position = thread.position;
      if (!position) continue;
      const key = lineKey(position.path, position.side, position.line);
      map.set(key, [...(map.get(key) ?? []), thread]);
    }
    return map;
  }, [threads]);
  const shown = useMemo(() => shownLines(diff), [diff]);
  // Threads whose line is no longer in the diff (outdated ones, mostly) are listed below it.
  const elsewhere = threads.filter(
    (thread) =>
      thread.position &&
      !shown.has(lineKey(thread.position.path, thread.position.side, thread.position.line)),
  );
  const annotations: LineAnnotations = {
    rowsFor(path, side, line) {
      const here = byLine.get(lineKey(path, side, line));
      const drafting = draft && draft.path === path && draft.side === side && draft.line === line;
      if (!here && !drafting) return null;
      return (
        <div className="diff-threads">
          {here?.map((thread) => (
            <ThreadView
              key={thread.id}
              number={mr.number}
              thread={thread}
              signedIn={signedIn}
              onChanged={onDiscussionChanged}
            />
          ))}
          {drafting && (
            <NewLineThread
              number={mr.number}
              position={draft}
              onCancel={() => setDraft(undefined)}
              onDone={() => {
                setDraft(undefined);
                onDiscussionChanged();
              }}
            />
          )}
        </div>
      );
    },
    ...(canComment
      ? {
          onLine: (path: string, side: DiffSide, line: number) =>
            setDraft({ repoPath: change.repoPath, path, side, line }),
        }
      : {}),
  };
  return (
    <>
      <DiffView diff={diff} mode={props.mode} annotations={annotations} />
      {elsewhere.length > 0 && (
        <section aria-label={`Comments on lines no longer shown in ${change.repoPath}`}>
          <h3>Comments on lines no longer in this diff</h3>
          {elsewhere.map((thread) => (
            <ThreadView
              key={thread.id}
              number={mr.number}
              thread={thread}
              signedIn={signedIn}
              onChanged={onDiscussionChanged}
              showPosition
            />
          ))}
        </section>
      )}
    </>
  );
}
