import { ApiError, apiUrl, useApi } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { GithubLinkForm } from '../components/github-link-form';
import { Listing } from '../components/listing';
import { Load } from '../components/status';
import { usePageTitle } from '../page-title';
import { paths } from '../paths';
import { Link } from '../router';
import { Comparison } from './compare-page';
import { RepoTabs, repoCrumbs } from './repo-tree-page';
import '../components/browse.css';

/** What `/api/v1/github/*` answers (src/github/github-views.ts). */
interface Person {
  login: string;
  id: number;
}
interface Label {
  name: string;
  color: string | null;
}
interface Issue {
  number: number;
  title: string;
  state: string;
  user: Person | null;
  sender: Person;
  body: string | null;
  htmlUrl: string | null;
  labels: Label[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}
interface Pull extends Issue {
  mergedAt: string | null;
  draft: boolean;
  head: { label: string; ref: string; sha: string | null };
  base: { label: string; ref: string; sha: string | null };
}
interface Comment {
  id: number;
  user: Person;
  body: string | null;
  htmlUrl: string | null;
  createdAt: string;
}
interface LinkInfo {
  repository: string;
  htmlUrl: string;
  lastSyncedAt: string | null;
}

const date = (iso: string) => iso.slice(0, 10);
/** Items a list page shows: the newest (the rest are one click away on GitHub). */
const NEWEST_SHOWN = 100;

function stateOf(item: Issue | Pull): string {
  if ('mergedAt' in item && item.mergedAt) return 'merged';
  if ('draft' in item && item.draft && item.state === 'open') return 'draft';
  return item.state;
}

function Labels({ labels }: { labels: readonly Label[] }) {
  if (labels.length === 0) return null;
  return (
    <span className="gh-labels">
      {labels.map((label) => (
        <span
          key={label.name}
          className="badge"
          style={label.color ? { borderColor: `#${label.color}` } : undefined}
        >
          {label.name}
        </span>
      ))}
    </span>
  );
}

/** A 404 because the repository is not linked reads as a sentence, not an error box. */
const isNotLinked = (error: Error) => error instanceof ApiError && error.code === 'github_link_not_found';

function GithubList({ repo, kind }: { repo: string; kind: 'issues' | 'pulls' }) {
  const title = kind === 'issues' ? 'Issues' : 'Pull requests';
  usePageTitle(title, repo);
  const list = useApi<{ link: LinkInfo; items: Array<Issue | Pull>; nextCursor?: string }>(
    apiUrl(`github/${kind}`, { repo, limit: NEWEST_SHOWN }),
  );
  return (
    <>
      <Breadcrumbs crumbs={[...repoCrumbs(repo, 'HEAD', ''), { label: title }]} />
      <div className="toolbar">
        <RepoTabs repo={repo} revision="HEAD" path="" active={kind} />
      </div>
      <h1>{title}</h1>
      {list.state === 'error' && isNotLinked(list.error) ? (
        <>
          <p className="muted">This repository is not linked to GitHub.</p>
          <GithubLinkForm repo={repo} onLinked={list.reload} />
        </>
      ) : (
        <Load
          value={list}
          render={(data) => (
            <>
              <p className="muted">
                Read-only, synced from <a href={data.link.htmlUrl}>{data.link.repository}</a> on GitHub
                {data.link.lastSyncedAt ? `, last polled ${date(data.link.lastSyncedAt)}` : ''}.
              </p>
              <Listing
                columns={['#', 'Title', 'State', 'Author', 'Updated']}
                label={title}
                testId={`github-${kind}`}
              >
                {data.items.map((item) => (
                  <tr key={item.number}>
                    <td>{item.number}</td>
                    <td>
                      <Link
                        to={
                          kind === 'issues'
                            ? paths.githubIssues(repo, item.number)
                            : paths.githubPulls(repo, item.number)
                        }
                      >
                        {item.title}
                      </Link>{' '}
                      <Labels labels={item.labels} />
                    </td>
                    <td>{stateOf(item)}</td>
                    <td>{item.user?.login ?? 'ghost'}</td>
                    <td>{date(item.updatedAt)}</td>
                  </tr>
                ))}
              </Listing>
              {data.nextCursor !== undefined && (
                <p className="muted">
                  The newest {NEWEST_SHOWN} are shown; the others are on{' '}
                  <a href={`${data.link.htmlUrl}/${kind === 'issues' ? 'issues' : 'pulls'}`}>GitHub</a>.
                </p>
              )}
            </>
          )}
        />
      )}
    </>
  );
}

export const GithubIssuesPage = ({ repo }: { repo: string }) => <GithubList repo={repo} kind="issues" />;
export const GithubPullsPage = ({ repo }: { repo: string }) => <GithubList repo={repo} kind="pulls" />;

function Header({ repo, item, kind }: { repo: string; item: Issue; kind: 'issues' | 'pulls' }) {
  return (
    <>
      <Breadcrumbs
        crumbs={[
          ...repoCrumbs(repo, 'HEAD', ''),
          {
            label: kind === 'issues' ? 'Issues' : 'Pull requests',
            to: kind === 'issues' ? paths.githubIssues(repo) : paths.githubPulls(repo),
          },
          { label: `#${item.number}` },
        ]}
      />
      <h1>
        {item.title} <span className="muted">#{item.number}</span>
      </h1>
      <p>
        <span className="badge">{stateOf(item)}</span> opened by {item.user?.login ?? 'ghost'} on{' '}
        {date(item.createdAt)}
        {item.closedAt ? `, closed ${date(item.closedAt)}` : ''} · <Labels labels={item.labels} />{' '}
        {item.htmlUrl && <a href={item.htmlUrl}>View on GitHub</a>}
      </p>
      {item.body && <div className="gh-body">{item.body}</div>}
    </>
  );
}

function Comments({ comments }: { comments: readonly Comment[] }) {
  return (
    <section aria-labelledby="gh-comments">
      <h2 id="gh-comments">
        {comments.length} comment{comments.length === 1 ? '' : 's'}
      </h2>
      <ol className="gh-comments" data-testid="github-comments">
        {comments.map((comment) => (
          <li key={comment.id}>
            <div className="muted">
              {comment.user.login} · {date(comment.createdAt)}
            </div>
            <div className="gh-body">{comment.body ?? ''}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function GithubIssuePage({ repo, number }: { repo: string; number: number }) {
  usePageTitle(`Issue #${number}`, repo);
  const issue = useApi<{ issue: Issue; comments: Comment[] }>(apiUrl(`github/issues/${number}`, { repo }));
  return (
    <Load
      value={issue}
      render={(data) => (
        <>
          <Header repo={repo} item={data.issue} kind="issues" />
          <Comments comments={data.comments} />
        </>
      )}
    />
  );
}

/**
 * A pull request: GitHub's text and comments, and, when the mirror holds `refs/pull/N/head`, its
 * commits and diff read from this server's own storage (the compare view).
 */
export function GithubPullPage({ repo, number }: { repo: string; number: number }) {
  usePageTitle(`Pull request #${number}`, repo);
  const pull = useApi<{
    pull: Pull;
    comments: Comment[];
    mirror: { ref: string; head: string | null; base: string | null };
  }>(apiUrl(`github/pulls/${number}`, { repo }));
  return (
    <Load
      value={pull}
      render={(data) => (
        <>
          <Header repo={repo} item={data.pull} kind="pulls" />
          <p className="muted">
            {data.pull.head.label} → {data.pull.base.label}
          </p>
          {data.mirror.head && data.mirror.base ? (
            <section aria-label="Commits and diff from the mirror" data-testid="github-pull-changes">
              <Comparison repo={repo} base={data.mirror.base} head={data.mirror.ref} />
            </section>
          ) : (
            <p className="muted" data-testid="github-pull-no-mirror">
              The mirror does not hold <code>{data.mirror.ref}</code>: the commits are on GitHub only.
            </p>
          )}
          <Comments comments={data.comments} />
        </>
      )}
    />
  );
}
