import type { Optional } from '../mr-api';
import { paths } from '../paths';
import { Link } from '../router';
import type { ProposedCommits } from '../types';
import { ErrorBox, TimeAgo } from './status';

/** The Commits tab: the commits the merge request proposes, oldest first. */
export function MergeRequestCommitList({ commits }: { commits: Optional<ProposedCommits> }) {
  if (commits.state === 'loading') return <p className="muted">Loading…</p>;
  if (commits.state === 'error') return <ErrorBox error={commits.error} />;
  if (commits.state === 'unavailable') return <p className="muted">Not available on this server.</p>;
  const { commits: list, truncated } = commits.data;
  if (list.length === 0) return <p className="muted">No commits.</p>;
  return (
    <>
      {truncated && <p className="muted">Only the newest commits are listed.</p>}
      <ol className="commit-list" aria-label="Commits" data-testid="mr-commits">
        {list.map((commit) => (
          <li key={`${commit.repoPath ?? ''}:${commit.id}`}>
            <span className="commit-title">{commit.subject}</span>
            <div className="muted small">
              {commit.repoPath ? (
                <Link to={paths.commit(commit.repoPath, commit.id)}>
                  <code>{commit.id.slice(0, 10)}</code>
                </Link>
              ) : (
                <code>{commit.id.slice(0, 10)}</code>
              )}{' '}
              {commit.repoPath && <>in {commit.repoPath} </>}· {commit.author.name} ·{' '}
              <TimeAgo seconds={commit.author.time} />
            </div>
          </li>
        ))}
      </ol>
    </>
  );
}
