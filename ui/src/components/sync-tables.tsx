import { formatBytes } from './status';
import type { SyncLog, SyncRepository, SyncSummary } from './sync-model';
import { Listing } from './listing';

export function SummaryCards({ summary }: { summary: SyncSummary }) {
  const rate = summary.success_rate === null ? '—' : `${(100 * summary.success_rate).toFixed(1)}%`;
  const reasons = Object.entries(summary.failure_reasons ?? {}).sort(([, a], [, b]) => b - a);
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
            {summary.average_duration === null ? '—' : `${summary.average_duration.toFixed(1)} s`}
          </div>
          average duration
        </div>
        <div className="card">
          <div className="card-value">{formatBytes(summary.storage_bytes ?? 0)}</div>on disk
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
  for (const log of props.logs) if (!latest.has(log.repository_id)) latest.set(log.repository_id, log);
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
            #{log.id} <span className="muted">{log.task_type}</span>
          </td>
          <td>{props.names.get(log.repository_id) ?? `#${log.repository_id}`}</td>
          <td>
            <span className={`badge sync-${log.status}`}>{log.status}</span>
          </td>
          <td>{new Date(log.started_at).toLocaleString()}</td>
          <td>{log.duration === null ? '—' : `${log.duration.toFixed(1)} s`}</td>
          <td className="small">{log.worker_id}</td>
          <td className="small">
            {log.from_commit ? log.from_commit.slice(0, 8) : '∅'} →{' '}
            {log.to_commit ? log.to_commit.slice(0, 8) : '—'}
          </td>
          <td className="small">{log.error_class ? `${log.error_class}: ${log.error_message ?? ''}` : ''}</td>
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
      {log.error_message && (
        <p>
          <strong>{log.error_class ?? 'error'}</strong>: {log.error_message}
        </p>
      )}
      {log.command_output ? (
        <pre className="command-output" tabIndex={0}>
          {log.command_output}
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
