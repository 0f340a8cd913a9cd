import { useState } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { BarChart, type BarDatum } from '../components/charts';
import { ErrorBox, Load, formatBytes } from '../components/status';
import { navigate, useLocation } from '../router';
import { paths } from '../paths';

export interface SyncRepository {
  id: number;
  tenant_id: number;
  name: string;
  url: string;
  branch: string;
  schedule: string | null;
}

export interface SyncLog {
  id: number;
  repository_id: number;
  worker_id: string;
  task_type: string;
  status: 'running' | 'success' | 'failed';
  started_at: string;
  finished_at: string | null;
  /** Seconds. */
  duration: number | null;
  error_message: string | null;
  error_class: string | null;
  from_commit: string | null;
  to_commit: string | null;
}

export interface SyncSummary {
  total: number;
  success: number;
  failed: number;
  running: number;
  success_rate: number | null;
  /** Seconds. */
  average_duration: number | null;
  failure_reasons: Record<string, number>;
  storage_bytes: number;
}

interface Tenant {
  id: number;
  name: string;
}

/** Success and failure counts per day of the loaded logs, oldest first. */
export function runsPerDay(logs: readonly SyncLog[]): BarDatum[] {
  const days = new Map<string, { success: number; failed: number }>();
  for (const log of logs) {
    const day = log.started_at.slice(0, 10);
    const entry = days.get(day) ?? { success: 0, failed: 0 };
    if (log.status === 'success') entry.success++;
    if (log.status === 'failed') entry.failed++;
    days.set(day, entry);
  }
  return [...days.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([day, counts]) => {
      const total = counts.success + counts.failed;
      const rate = total === 0 ? 0 : (100 * counts.success) / total;
      // The failed share is stacked on top in the failure colour, so a bad day shows too.
      return {
        label: day.slice(5),
        value: rate,
        secondary: total === 0 ? 0 : 100 - rate,
        title: `${day}: ${rate.toFixed(0)}% of ${total} runs succeeded`,
      };
    });
}

const FILTERS = ['status', 'repository_id', 'error_class', 'task_type'] as const;
/** Runs loaded for the charts and the last status of each repository. */
const RECENT_RUNS = 200;

/** The sync fleet at a glance: tenant, repositories with last status, charts, failure reasons, the log. */
export function SyncPage() {
  const location = useLocation();
  const tenants = useApi<{ tenants: Tenant[] }>(apiUrl('sync/tenants'));
  return (
    <>
      <Breadcrumbs crumbs={[{ label: 'Sync' }]} />
      <Load
        value={tenants}
        render={(data) => {
          if (data.tenants.length === 0)
            return <p className="muted">No tenants yet: create one with the sync API or CLI.</p>;
          const chosen = Number(location.search.get('tenant') ?? data.tenants[0]!.id);
          return (
            <>
              {data.tenants.length > 1 && (
                <label className="filters">
                  Tenant{' '}
                  <select
                    value={chosen}
                    onChange={(event) => navigate(`${paths.sync()}?tenant=${event.target.value}`)}
                  >
                    {data.tenants.map((tenant) => (
                      <option key={tenant.id} value={tenant.id}>
                        {tenant.name}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <TenantDashboard tenant={chosen} />
            </>
          );
        }}
      />
    </>
  );
}

function TenantDashboard({ tenant }: { tenant: number }) {
  const location = useLocation();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, location.search.get(name) || undefined]));
  const base = `sync/tenants/${tenant}`;
  const repositories = useApi<{ repositories: SyncRepository[] }>(
    apiUrl(`${base}/repositories`, { limit: 100 }),
  );
  const summary = useApi<SyncSummary>(apiUrl(`${base}/summary`));
  const recent = useApi<{ logs: SyncLog[] }>(apiUrl(`${base}/logs`, { limit: RECENT_RUNS }));
  const logs = useApi<{ logs: SyncLog[] }>(apiUrl(`${base}/logs`, { ...filter, limit: 100 }));
  const [error, setError] = useState<Error | undefined>();
  const reloadAll = () => {
    recent.reload();
    logs.reload();
    summary.reload();
  };
  const setFilter = (name: string, value: string) => {
    const search = new URLSearchParams(location.search);
    if (value) search.set(name, value);
    else search.delete(name);
    navigate(`${paths.sync()}?${search.toString()}`, { replace: true });
  };
  const trigger = (id: number) => {
    setError(undefined);
    apiRequest('POST', apiUrl(`${base}/repositories/${id}/sync`), {}).then(reloadAll, (caught: unknown) =>
      setError(caught instanceof Error ? caught : new Error(String(caught))),
    );
  };
  const recentRuns = recent.state === 'ready' ? recent.data.logs : [];
  const names = new Map(
    repositories.state === 'ready' ? repositories.data.repositories.map((repo) => [repo.id, repo.name]) : [],
  );
  return (
    <>
      <div className="toolbar">
        <button type="button" onClick={reloadAll}>
          Refresh
        </button>
      </div>
      <Load value={summary} render={(data) => <SummaryCards summary={data} />} />
      <div className="charts">
        <BarChart
          title="Success rate per day"
          unit="%"
          max={100}
          data={runsPerDay(recentRuns)}
          testId="chart-success"
        />
        <BarChart
          title="Duration of recent runs"
          unit="s"
          testId="chart-duration"
          data={recentRuns
            .filter((log) => log.duration !== null)
            .slice(0, 40)
            .reverse()
            .map((log) => ({
              label: `#${log.id}`,
              value: log.duration ?? 0,
              failed: log.status === 'failed',
              title: `#${log.id} ${log.status} in ${(log.duration ?? 0).toFixed(1)} s`,
            }))}
        />
      </div>
      {error && <ErrorBox error={error} />}
      <Load
        value={repositories}
        render={(data) => (
          <RepositoryTable repositories={data.repositories} logs={recentRuns} onSync={trigger} />
        )}
      />
      <section aria-label="Sync log">
        <h2>Log</h2>
        <div className="filters">
          <label>
            Status{' '}
            <select value={filter.status ?? ''} onChange={(event) => setFilter('status', event.target.value)}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failed">failed</option>
              <option value="running">running</option>
            </select>
          </label>
          <label>
            Repository id{' '}
            <input
              inputMode="numeric"
              defaultValue={filter.repository_id ?? ''}
              onBlur={(event) => setFilter('repository_id', event.target.value.trim())}
              size={6}
            />
          </label>
          <label>
            Error class{' '}
            <input
              defaultValue={filter.error_class ?? ''}
              onBlur={(event) => setFilter('error_class', event.target.value.trim())}
              size={10}
            />
          </label>
        </div>
        <Load value={logs} render={(data) => <LogTable logs={data.logs} names={names} />} />
      </section>
    </>
  );
}

function SummaryCards({ summary }: { summary: SyncSummary }) {
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
      <section aria-label="Failure reasons">
        <h2>Failure reasons</h2>
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

function RepositoryTable(props: {
  repositories: readonly SyncRepository[];
  logs: readonly SyncLog[];
  onSync: (id: number) => void;
}) {
  const latest = new Map<number, SyncLog>();
  for (const log of props.logs) if (!latest.has(log.repository_id)) latest.set(log.repository_id, log);
  return (
    <section aria-label="Sync repositories">
      <h2>Repositories</h2>
      <div className="table-scroll">
        <table className="listing">
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Branch</th>
              <th scope="col">Last status</th>
              <th scope="col">Schedule</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.repositories.map((repo) => {
              const status = latest.get(repo.id)?.status ?? 'never';
              return (
                <tr key={repo.id}>
                  <td>
                    <strong>{repo.name}</strong> <span className="muted">#{repo.id}</span>
                    <div className="muted small">{repo.url}</div>
                  </td>
                  <td>{repo.branch}</td>
                  <td>
                    <span className={`badge sync-${status}`}>{status}</span>
                  </td>
                  <td>{repo.schedule ?? 'manual'}</td>
                  <td>
                    <button type="button" onClick={() => props.onSync(repo.id)}>
                      Sync now
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function LogTable({ logs, names }: { logs: readonly SyncLog[]; names: ReadonlyMap<number, string> }) {
  if (logs.length === 0) return <p className="muted">No runs match.</p>;
  return (
    <div className="table-scroll">
      <table className="listing" data-testid="sync-log">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Repository</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Worker</th>
            <th scope="col">Commits</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {logs.map((log) => (
            <tr key={log.id}>
              <td>
                #{log.id} <span className="muted">{log.task_type}</span>
              </td>
              <td>{names.get(log.repository_id) ?? `#${log.repository_id}`}</td>
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
              <td className="small">
                {log.error_class ? `${log.error_class}: ${log.error_message ?? ''}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
