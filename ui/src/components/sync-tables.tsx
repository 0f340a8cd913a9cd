import { formatBytes } from './status';
import type { SyncLog, SyncRepository, SyncSummary } from './sync-model';
import { Listing } from './listing';

export function SummaryCards({ summary }: { summary: SyncSummary }) {
  const rate = summary.successRate === null ? '—' : `${(100 * summary.successRate).toFixed(1)}%`;
  const reasons = Object.entries(summary.failureReasons ?? {}).sort(([, a], [, b]) => b - a);
  return (
    <>
      <div className="cards" data-testid="sync-summary">
        <div className="card">
          <div className="card-value">{summary.total}</div>runs
        </div>
        <div className="card">
          <div className="card-value">{rate}</div>success rate
        </div>
        <div className="card">
          <div className="card-value">
            {summary.averageDuration === null ? '—' : `${summary.averageDuration.toFixed(1)} s`}
          </div>
          average duration
        </div>
        <div className="card">
          <div className="card-value">{formatBytes(summary.storageBytes ?? 0)}</div>on disk
        </div>
      </div>
      <section aria-labelledby="sync-reasons-title">
        <h2 id="sync-reasons-title">Failure reasons</h2>
        {reasons.length === 0 ? (
          <p className="muted">No failures.</p>
        ) : (
          <ul className="reasons">
            {reasons.map(([reason, count]) => (
              <li key={reason}>
                <code>{reason}</code>: {count}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

export function RepositoryTable(props: {
  repositories: readonly SyncRepository[];
  logs: readonly SyncLog[];
  onSync: (id: number) => void;
  onEdit: (repository: SyncRepository) => void;
}) {
  const latest = new Map<number, SyncLog>();
  for (const log of props.logs) if (!latest.has(log.repositoryId)) latest.set(log.repositoryId, log);
  if (props.repositories.length === 0) return <p className="muted">No repositories yet: add one below.</p>;
  return (
    <Listing columns={['Repository', 'Branch', 'Last status', 'Schedule', { hidden: 'Actions' }]}>
      {props.repositories.map((repo) => {
        const status = latest.get(repo.id)?.status ?? 'never';
        return (
          <tr key={repo.id}>
            <td>
              <strong>{repo.name}</strong> <span className="muted">#{repo.id}</span>
              <div className="muted small wrap-anywhere">{repo.url}</div>
            </td>
            <td>{repo.branch}</td>
            <td>
              <span className={`badge sync-${status}`}>{status}</span>
            </td>
            <td>{repo.schedule ?? 'manual'}</td>
            <td className="row-actions">
              <button type="button" onClick={() => props.onSync(repo.id)}>
                Sync now
              </button>{' '}
              <button type="button" onClick={() => props.onEdit(repo)} aria-label={`Edit ${repo.name}`}>
                Edit
              </button>
            </td>
          </tr>
        );
      })}
    </Listing>
  );
}

export function LogTable(props: {
  logs: readonly SyncLog[];
  names: ReadonlyMap<number, string>;
  onShowOutput: (log: SyncLog) => void;
}) {
  if (props.logs.length === 0) return <p className="muted">No runs match.</p>;
  return (
    <Listing
      columns={[
        'Run',
        'Repository',
        'Status',
        'Started',
        'Duration',
        'Worker',
        'Commits',
        'Error',
        { hidden: 'Output' },
      ]}
      testId="sync-log"
    >
      {props.logs.map((log) => (
        <tr key={log.id}>
          <td>
            #{log.id} <span className="muted">{log.taskType}</span>
          </td>
          <td>{props.names.get(log.repositoryId) ?? `#${log.repositoryId}`}</td>
          <td>
            <span className={`badge sync-${log.status}`}>{log.status}</span>
          </td>
          <td>{new Date(log.startedAt).toLocaleString()}</td>
          <td>{log.duration === null ? '—' : `${log.duration.toFixed(1)} s`}</td>
          <td className="small">{log.workerId}</td>
          <td className="small">
            {log.fromCommit ? log.fromCommit.slice(0, 8) : '∅'} →{' '}
            {log.toCommit ? log.toCommit.slice(0, 8) : '—'}
          </td>
          <td className="small">{log.errorClass ? `${log.errorClass}: ${log.errorMessage ?? ''}` : ''}</td>
          <td>
            <button
              type="button"
              onClick={() => props.onShowOutput(log)}
              aria-label={`Output of run ${log.id}`}
            >
              Output
            </button>
          </td>
        </tr>
      ))}
    </Listing>
  );
}

/** A run's command output as the worker stored it: secrets already replaced by `[redacted]`. */
export function RunOutput({ log, onClose }: { log: SyncLog; onClose: () => void }) {
  return (
    <section className="run-output" aria-labelledby="run-output-title" data-testid="run-output">
      <h3 id="run-output-title">
        Output of run #{log.id} <span className={`badge sync-${log.status}`}>{log.status}</span>
      </h3>
      <p className="muted small">
        Secrets of the run&apos;s credential are replaced by <code>[redacted]</code>; long output keeps its
        end.
      </p>
      {log.errorMessage && (
        <p>
          <strong>{log.errorClass ?? 'error'}</strong>: {log.errorMessage}
        </p>
      )}
      {log.commandOutput ? (
        <pre className="command-output" tabIndex={0}>
          {log.commandOutput}
        </pre>
      ) : (
        <p className="muted">
          {log.status === 'running' ? 'Still running: the output comes when it ends.' : 'No output.'}
        </p>
      )}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
