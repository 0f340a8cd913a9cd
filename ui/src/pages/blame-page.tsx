import { Fragment } from 'react';
import { apiUrl, useApi } from '../api';
import type { Blame } from '../browse-types';
import { Breadcrumbs } from '../components/breadcrumbs';
import { RefPicker } from '../components/ref-picker';
import { Load, TimeAgo } from '../components/status';
import { paths } from '../paths';
import { Link } from '../router';
import type { BlobView } from '../types';
import { repoCrumbs } from './repo-tree-page';
import '../components/browse.css';

/** Who last changed each line of a file: one commit cell per range of lines it wrote. */
export function BlamePage({ repo, revision, path }: { repo: string; revision: string; path: string }) {
  const blame = useApi<Blame>(apiUrl('repos/blame', { repo, ref: revision, path }));
  return (
    <>
      <Breadcrumbs crumbs={[...repoCrumbs(repo, revision, path), { label: 'Blame' }]} />
      <h1 className="visually-hidden">Blame of {path}</h1>
      <div className="toolbar">
        <RefPicker repo={repo} revision={revision} hrefFor={(name) => paths.blame(repo, name, path)} />
        <Link to={paths.blob(repo, revision, path)}>File</Link>
        <Link to={paths.commits(repo, revision, path)}>History</Link>
      </div>
      <Load value={blame} render={(data) => <BlameTable repo={repo} blame={data} />} />
    </>
  );
}

function BlameTable({ repo, blame }: { repo: string; blame: Blame }) {
  // The text is read at the blamed commit, so lines and ranges always match.
  const blob = useApi<BlobView>(apiUrl('repos/blob', { repo, ref: blame.commit, path: blame.path }));
  return (
    <Load
      value={blob}
      render={(file) => {
        if (file.binary || file.content === undefined) return <p className="muted">Binary file: no blame.</p>;
        const lines = file.content.split('\n');
        return (
          <>
            {blame.truncated && (
              <p className="muted" role="note" data-testid="blame-truncated">
                History was cut short after {blame.walked.toLocaleString()} commits: lines marked † are given
                the oldest commit reached, which may not be the one that wrote them.
              </p>
            )}
            <div className="code-view" role="region" aria-label={`Blame of ${blame.path}`} tabIndex={0}>
              <table className="blame" data-testid="blame">
                <tbody>
                  {blame.ranges.map((range) => {
                    const commit = blame.commits[range.commit];
                    return (
                      <Fragment key={range.start}>
                        {Array.from({ length: range.count }, (_, offset) => {
                          const number = range.start + offset;
                          return (
                            <tr
                              key={number}
                              id={`L${number}`}
                              className={offset === 0 ? 'range-start' : undefined}
                            >
                              {offset === 0 && (
                                <td className="blame-commit" rowSpan={range.count}>
                                  <Link to={paths.commit(repo, range.commit)} title={commit?.title}>
                                    {range.bounded ? '† ' : ''}
                                    {commit?.title || range.commit.slice(0, 10)}
                                  </Link>
                                  <div className="muted small">
                                    {commit?.author.name}
                                    {commit && (
                                      <>
                                        {' · '}
                                        <TimeAgo seconds={commit.author.timestamp} />
                                      </>
                                    )}
                                  </div>
                                </td>
                              )}
                              <td className="line-number">
                                <a href={`#L${number}`} aria-label={`Line ${number}`}>
                                  {number}
                                </a>
                              </td>
                              <td className="line-code">{lines[number - 1] ?? ''}</td>
                            </tr>
                          );
                        })}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        );
      }}
    />
  );
}
