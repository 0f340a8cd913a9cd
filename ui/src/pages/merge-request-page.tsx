import { useCallback, useEffect } from 'react';
import { Breadcrumbs } from '../components/breadcrumbs';
import { MergeRequestActions } from '../components/mr-actions';
import { MergeRequestCommitList } from '../components/mr-commits';
import { MergeRequestChanges } from '../components/mr-diff';
import { CommentForm, SignInToComment, ThreadView, ViewerName } from '../components/mr-discussion';
import { ApprovalsPanel, ChecksPanel, CodeOwnersPanel, MergeabilityPanel } from '../components/mr-panels';
import { MergeRequestTimeline } from '../components/mr-timeline';
import { ErrorBox } from '../components/status';
import { useCurrentUser, useSignedIn } from '../current-user';
import {
  fetchCommits,
  fetchDiscussion,
  fetchMergeRequest,
  fetchMergeStatus,
  fetchTimeline,
  startThread,
  useOptional,
  type Optional,
  type TimelinePage,
} from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type { Discussion, MergeRequestDetail } from '../types';

export type MergeRequestTab = 'overview' | 'commits' | 'changes';

/**
 * One merge request: its header with Merge/Close/Reopen (and why each is disabled), the tabs
 * Overview (description, discussion, timeline), Commits and Changes (diffs with line threads),
 * and the Approvals, Mergeability, Checks and Code owners panels.
 */
export function MergeRequestPage({ number, tab }: { number: string; tab: MergeRequestTab }) {
  const signedIn = useSignedIn();
  const user = useCurrentUser();
  const key = `${number}:${signedIn ? 'user' : 'anonymous'}`;
  const detail = useOptional(key, () => fetchMergeRequest(number));
  const id = Number(number);
  const status = useOptional(key, () => fetchMergeStatus(id));
  const discussion = useOptional(key, () => fetchDiscussion(id));
  const timeline = useOptional(key, () => fetchTimeline(id));
  const { reload: reloadDetail } = detail;
  const { reload: reloadStatus } = status;
  const { reload: reloadDiscussion } = discussion;
  const { reload: reloadTimeline } = timeline;
  const refreshAll = useCallback(() => {
    reloadDetail();
    reloadStatus();
    reloadDiscussion();
    reloadTimeline();
  }, [reloadDetail, reloadStatus, reloadDiscussion, reloadTimeline]);
  const onDiscussionChanged = useCallback(() => {
    reloadDiscussion();
    reloadTimeline();
  }, [reloadDiscussion, reloadTimeline]);
  const title = detail.state === 'ready' ? `!${detail.data.number} ${detail.data.title}` : `!${number}`;
  useEffect(() => {
    document.title = `${title} · Merge requests · Mega`;
  }, [title]);

  if (detail.state === 'loading' || detail.state === 'unavailable') {
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  }
  if (detail.state === 'error') {
    return (
      <>
        <h1>Merge request !{number}</h1>
        <ErrorBox error={detail.error} />
      </>
    );
  }
  const mr = detail.data;
  return (
    <>
      <Breadcrumbs
        crumbs={[{ label: 'Merge requests', to: paths.mergeRequests() }, { label: `!${mr.number}` }]}
      />
      <MergeRequestHeader mr={mr} />
      <MergeRequestActions mr={mr} status={status} signedIn={signedIn} onDone={refreshAll} />
      <nav className="tabs mr-tabs" aria-label="Merge request">
        <TabLink mr={mr} tab="overview" current={tab} label="Overview" />
        <TabLink mr={mr} tab="commits" current={tab} label="Commits" />
        <TabLink mr={mr} tab="changes" current={tab} label="Changes" />
      </nav>
      <ViewerName.Provider value={user?.username}>
        <div className="mr-layout">
          <div className="mr-main">
            {tab === 'overview' && (
              <Overview
                mr={mr}
                discussion={discussion}
                timeline={timeline}
                signedIn={signedIn}
                onDiscussionChanged={onDiscussionChanged}
              />
            )}
            {tab === 'commits' && <CommitsTab mr={mr} />}
            {tab === 'changes' && (
              <MergeRequestChanges
                mr={mr}
                discussion={discussion}
                signedIn={signedIn}
                onDiscussionChanged={onDiscussionChanged}
              />
            )}
          </div>
          <aside className="mr-side" aria-label="Review">
            <ApprovalsPanel mr={mr} status={status} user={user} signedIn={signedIn} onChanged={refreshAll} />
            <MergeabilityPanel mr={mr} signedIn={signedIn} onChanged={refreshAll} />
            <ChecksPanel mr={mr} status={status} />
            <CodeOwnersPanel status={status} />
          </aside>
        </div>
      </ViewerName.Provider>
    </>
  );
}

const PROPOSAL_VERB: Record<MergeRequestDetail['status'], string> = {
  open: 'wants to merge into',
  merging: 'is merging into',
  merged: 'asked to merge into',
  closed: 'proposed merging into',
};

function MergeRequestHeader({ mr }: { mr: MergeRequestDetail }) {
  const repositories = [...new Set(mr.changes.map((change) => change.repoPath))];
  return (
    <header className="commit-header mr-header">
      <h1>
        {mr.title} <span className="muted">!{mr.number}</span>
      </h1>
      <p>
        <span className={`badge mr-${mr.status}`} data-testid="mr-status">
          {mr.status}
        </span>{' '}
        <strong>{mr.author}</strong> {PROPOSAL_VERB[mr.status]}{' '}
        <code data-testid="mr-target">{mr.targetBranch ?? 'the default branch'}</code> · pushed to{' '}
        <Link to={paths.directory(mr.viewPath)}>{mr.viewPath}</Link> · opened{' '}
        <time dateTime={mr.createdAt}>{new Date(mr.createdAt).toLocaleString()}</time>
      </p>
      <p className="mr-repositories">
        Repositories:{' '}
        {repositories.map((repoPath, index) => (
          <span key={repoPath}>
            {index > 0 && ', '}
            <Link to={paths.directory(repoPath)}>{repoPath}</Link>
          </span>
        ))}
      </p>
    </header>
  );
}

function TabLink(props: {
  mr: MergeRequestDetail;
  tab: MergeRequestTab;
  current: MergeRequestTab;
  label: string;
}) {
  const to = paths.mergeRequest(props.mr.number, props.tab === 'overview' ? undefined : props.tab);
  return (
    <Link to={to} aria-current={props.tab === props.current ? 'page' : undefined}>
      {props.label}
    </Link>
  );
}

function Overview(props: {
  mr: MergeRequestDetail;
  discussion: Optional<Discussion>;
  timeline: Optional<TimelinePage>;
  signedIn: boolean;
  onDiscussionChanged: () => void;
}) {
  const { mr, discussion, signedIn, onDiscussionChanged } = props;
  return (
    <>
      <section aria-label="Description">
        <h2>Description</h2>
        {mr.description ? (
          <p className="mr-description" data-testid="mr-description">
            {mr.description}
          </p>
        ) : (
          <p className="muted">No description.</p>
        )}
      </section>
      <section aria-label="Discussion">
        <h2>
          Discussion
          {discussion.state === 'ready' && discussion.data.unresolved > 0 && (
            <span className="muted small"> · {discussion.data.unresolved} unresolved</span>
          )}
        </h2>
        {discussion.state === 'unavailable' && (
          <p className="muted">Comments are not available on this server.</p>
        )}
        {discussion.state === 'error' && <ErrorBox error={discussion.error} />}
        {discussion.state === 'ready' && (
          <>
            {discussion.data.threads.map((thread) => (
              <ThreadView
                key={thread.id}
                number={mr.number}
                thread={thread}
                signedIn={signedIn}
                onChanged={onDiscussionChanged}
                showPosition
              />
            ))}
            {signedIn ? (
              <CommentForm
                label="Comment"
                submit={(body) => startThread(mr.number, body)}
                onDone={onDiscussionChanged}
              />
            ) : (
              <SignInToComment />
            )}
          </>
        )}
      </section>
      <section aria-label="Timeline">
        <h2>Timeline</h2>
        <MergeRequestTimeline timeline={props.timeline} events={mr.events} />
      </section>
    </>
  );
}

function CommitsTab({ mr }: { mr: MergeRequestDetail }) {
  const commits = useOptional(`${mr.number}:${mr.updatedAt}`, () => fetchCommits(mr.number));
  return <MergeRequestCommitList commits={commits} />;
}
