import type { Optional, TimelinePage } from '../mr-api';
import type { MergeRequestEvent, TimelineEntry } from '../types';
import { CommentBody } from './mr-discussion';
import { ErrorBox } from './status';

const PHRASE: Record<string, string> = {
  opened: 'opened this merge request',
  updated: 'pushed new commits',
  force_updated: 'replaced the change (force-update)',
  target_updated: 'updated it from the target',
  commented: 'commented',
  resolved: 'resolved a discussion',
  unresolved: 'reopened a discussion',
  approved: 'approved',
  unapproved: 'withdrew their approval',
  merged: 'merged',
  closed: 'closed',
  reopened: 'reopened',
};

/** Timeline details worth showing: commit lists, not the comment ids of discussion entries. */
function shownDetail(entry: TimelineEntry): string | undefined {
  if (['commented', 'resolved', 'unresolved'].includes(entry.action)) return undefined;
  return entry.detail || undefined;
}

/** Entries oldest first; equal times keep the server's order. */
function inOrder(entries: readonly TimelineEntry[]): TimelineEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}

/**
 * The merge request's history: `GET …/timeline` (with comments), or the detail's own `events` on a
 * server without it.
 */
export function MergeRequestTimeline(props: {
  timeline: Optional<TimelinePage>;
  events: MergeRequestEvent[] | undefined;
}) {
  const { timeline } = props;
  if (timeline.state === 'loading') return <p className="muted">Loading the timeline…</p>;
  if (timeline.state === 'error') return <ErrorBox error={timeline.error} />;
  const entries = inOrder(timeline.state === 'ready' ? timeline.data.items : (props.events ?? []));
  if (entries.length === 0) return <p className="muted">Nothing happened yet.</p>;
  const total = timeline.state === 'ready' ? timeline.data.total : entries.length;
  return (
    <>
      {total > entries.length && (
        <p className="muted small">
          The first {entries.length} of {total} entries.
        </p>
      )}
      <ol className="timeline" aria-label="Timeline" data-testid="timeline">
        {entries.map((entry, index) => {
          const detail = shownDetail(entry);
          return (
            <li key={entry.id ?? index} className={`timeline-${entry.action}`} data-action={entry.action}>
              <div>
                <strong>{entry.actor}</strong> {PHRASE[entry.action] ?? entry.action.replaceAll('_', ' ')}{' '}
                <time className="muted small" dateTime={entry.at}>
                  {new Date(entry.at).toLocaleString()}
                </time>
              </div>
              {entry.comment && <CommentBody comment={entry.comment} />}
              {detail && <pre className="timeline-detail">{detail}</pre>}
            </li>
          );
        })}
      </ol>
    </>
  );
}
