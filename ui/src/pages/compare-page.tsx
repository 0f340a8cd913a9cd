import { apiUrl, useApi } from '../api';
import type { CompareCommits } from '../browse-types';
import { Breadcrumbs } from '../components/breadcrumbs';
import { DiffView } from '../components/diff-view';
import { RefPicker } from '../components/ref-picker';
import { Load, TimeAgo } from '../components/status';
import { paths } from '../paths';
import { Link } from '../router';
import type { Diff, RefList } from '../types';
import { RepoTabs, repoCrumbs } from './repo-tree-page';
import '../components/browse.css';

/** `base...head` as it appears in the URL: each side encoded on its own. */
function parseSpec(spec: string): { base: string; head: string } {
  const at = spec.indexOf('...');
  if (at < 0) return { base: '', head: '' };
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return '';
    }
  };
  return { base: decode(spec.slice(0, at)), head: decode(spec.slice(at + 3)) };
}

/**
 * What `head` adds to `base` (`base...head`): the commits in head and not in base, and the diff
 * from their merge base to head, as a merge request would show it.
 */
export function ComparePage({ repo, spec }: { repo: string; spec: string }) {
  const refs = useApi<RefList>(apiUrl('repos/refs', { repo }));
  const parsed = parseSpec(spec);
  const fallback = refs.state === 'ready' ? (refs.data.defaultBranch ?? 'HEAD') : 'HEAD';
  const base = parsed.base || fallback;
  const head = parsed.head || fallback;
  return (
    <>
      <Breadcrumbs crumbs={[...repoCrumbs(repo, 'HEAD', ''), { label: 'Compare' }]} />
      <h1 className="visually-hidden">
        Compare {base}...{head}
      </h1>
      <div className="toolbar">
        <RepoTabs repo={repo} revision="HEAD" path="" active="compare" />
        <div className="compare-form">
          <RefPicker
            repo={repo}
            revision={base}
            label="Base"
            hrefFor={(name) => paths.compare(repo, name, head)}
          />
          <span aria-hidden="true">…</span>
          <RefPicker
            repo={repo}
            revision={head}
            label="Compare"
            hrefFor={(name) => paths.compare(repo, base, name)}
          />
        </div>
      </div>
      {spec && base !== head ? (
        <Comparison repo={repo} base={base} head={head} />
      ) : (
        <p className="muted">Choose a base and a branch to compare with it.</p>
      )}
    </>
  );
}

/** Commits of `head` not in `base`, and the diff from their merge base (also a GitHub pull request's page). */
export function Comparison({ repo, base, head }: { repo: string; base: string; head: string }) {
  const commits = useApi<CompareCommits>(apiUrl('repos/compare-commits', { repo, base, head }));
  return (
    <Load
      value={commits}
      render={(data) => (
        <>
          <section aria-labelledby="compare-commits-title">
            <h2 id="compare-commits-title">
              {data.commits.length.toLocaleString()}
              {data.truncated ? '+' : ''} commit{data.commits.length === 1 ? '' : 's'}
            </h2>
            {data.commits.length === 0 ? (
              <p className="muted">
                {head} has nothing that {base} does not have.
              </p>
            ) : (
              <ol className="commit-list" aria-label="Commits" data-testid="compare-commits">
                {data.commits.map((commit) => (
                  <li key={commit.id}>
                    <Link to={paths.commit(repo, commit.id)} className="commit-title">
                      {commit.title || '(no message)'}
                    </Link>
                    <div className="muted">
                      {commit.author.name} · <TimeAgo seconds={commit.committer.timestamp} /> ·{' '}
                      <code>{commit.id.slice(0, 10)}</code>
                    </div>
                  </li>
                ))}
              </ol>
            )}
            {data.truncated && (
              <p className="muted">Only the newest {data.commits.length} commits are listed.</p>
            )}
          </section>
          {data.mergeBase === null ? (
            <p className="muted">
              {base} and {head} share no history within the walk bound: the diff is between their trees.
            </p>
          ) : null}
          <CompareDiff repo={repo} from={data.mergeBase ?? data.base} to={data.head} />
        </>
      )}
    />
  );
}

interface CompareResult {
  from: string;
  to: string;
  diff: Diff;
}

function CompareDiff({ repo, from, to }: { repo: string; from: string; to: string }) {
  const compare = useApi<CompareResult>(apiUrl('repos/compare', { repo, from, to }));
  return (
    <Load
      value={compare}
      render={(data) => (
        <>
          {data.diff.truncated && (
            <p className="muted" role="note" data-testid="diff-truncated">
              The diff is cut at its limits (1,000 files, 20,000 changed lines, 1 MiB per file): clone the
              repository for the rest.
            </p>
          )}
          <DiffView diff={data.diff} />
        </>
      )}
    />
  );
}
