import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl, useApi, type Page } from '../api';
import { Breadcrumbs } from '../components/breadcrumbs';
import { BarChart } from '../components/charts';
import { MutationStatus, useMutation } from '../components/mutation';
import { SignInPrompt } from '../components/sign-in-prompt';
import { ErrorBox, Load } from '../components/status';
import { SyncCredentials } from '../components/sync-credentials';
import {
  runsPerDay,
  type SyncCredential,
  type SyncLog,
  type SyncRepository,
  type SyncSummary,
  type Tenant,
} from '../components/sync-model';
import { SyncRepositoryForm } from '../components/sync-repository-form';
import { LogTable, RepositoryTable, RunOutput, SummaryCards } from '../components/sync-tables';
import { useCurrentUser, useSignedIn } from '../current-user';
import { usePageTitle } from '../page-title';
import { navigate, useLocation } from '../router';
import { paths } from '../paths';
import { useSyncEvents, type LiveState } from '../sync-events';

export { runsPerDay };

const FILTERS = ['status', 'repositoryId', 'errorClass', 'taskType'] as const;
/** Runs loaded for the charts and the last status of each repository. */
const RECENT_RUNS = 200;

/** The sync fleet at a glance: tenant, repositories with last status, charts, failure reasons, the log. */
export function SyncPage() {
  usePageTitle('Sync');
  const signedIn = useSignedIn();
  return (
    <>
      <Breadcrumbs crumbs={[{ label: 'Sync' }]} />
      <h1>Sync</h1>
      {signedIn ? <Tenants /> : <SignInPrompt what="Sync management" />}
    </>
  );
}

function Tenants() {
  const location = useLocation();
  const user = useCurrentUser();
  const tenants = useApi<{ items: Tenant[] }>(apiUrl('sync/tenants'));
  return (
    <Load
      value={tenants}
      render={(data) => {
        if (data.items.length === 0) {
          if (user?.isAdmin) return <NewTenant onCreated={tenants.reload} />;
          return (
            <p className="notice" data-testid="sync-no-access">
              You have no access to sync: an administrator adds you to a tenant (its members manage its
              repositories and see its runs).
            </p>
          );
        }
        const chosen = Number(location.search.get('tenant') ?? data.items[0]!.id);
        return (
          <>
            {data.items.length > 1 && (
              <label className="filters">
                Tenant{' '}
                <select
                  value={chosen}
                  onChange={(event) => navigate(`${paths.sync()}?tenant=${event.target.value}`)}
                >
                  {data.items.map((tenant) => (
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
  );
}

/** An administrator's first step: sync repositories live in a tenant. */
function NewTenant({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const create = useMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create
      .run(() => apiRequest('POST', apiUrl('sync/tenants'), { name: name.trim() }))
      .then((ok) => ok && onCreated());
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="New tenant">
      <p>No tenants yet. A tenant holds sync repositories, their credentials and their members.</p>
      <label htmlFor="tenant-name">Tenant name</label>
      <input id="tenant-name" value={name} onChange={(event) => setName(event.target.value)} required />
      <button type="submit" className="primary" disabled={create.busy}>
        Create tenant
      </button>
      <MutationStatus mutation={create} />
    </form>
  );
}

const LIVE_LABEL: Record<LiveState, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live: runs update as they happen',
  offline: 'Live updates paused: reconnecting…',
  refused: 'Live updates refused by the server: reload the page to try again.',
};

function TenantDashboard({ tenant }: { tenant: number }) {
  const location = useLocation();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, location.search.get(name) || undefined]));
  const base = `sync/tenants/${tenant}`;
  const live = { keepWhileReloading: true };
  const repositories = useApi<Page<SyncRepository>>(apiUrl(`${base}/repositories`, { limit: 100 }), live);
  const credentials = useApi<{ items: SyncCredential[] }>(apiUrl(`${base}/credentials`), live);
  const summary = useApi<SyncSummary>(apiUrl(`${base}/summary`), live);
  const recent = useApi<Page<SyncLog>>(apiUrl(`${base}/logs`, { limit: RECENT_RUNS }), live);
  const logs = useApi<Page<SyncLog>>(apiUrl(`${base}/logs`, { ...filter, limit: 100 }), live);
  const [error, setError] = useState<Error | undefined>();
  const [editing, setEditing] = useState<SyncRepository | undefined>();
  const [output, setOutput] = useState<number | undefined>();
  const reloadRuns = () => {
    recent.reload();
    logs.reload();
    summary.reload();
  };
  const liveState = useSyncEvents(tenant, reloadRuns);
  const setFilter = (name: string, value: string) => {
    const search = new URLSearchParams(location.search);
    if (value) search.set(name, value);
    else search.delete(name);
    navigate(`${paths.sync()}?${search.toString()}`, { replace: true });
  };
  const trigger = (id: number) => {
    setError(undefined);
    apiRequest('POST', apiUrl(`${base}/repositories/${id}/sync`), {}).then(
      () => undefined,
      (caught: unknown) => setError(caught instanceof Error ? caught : new Error(String(caught))),
    );
  };
  const recentRuns = recent.state === 'ready' ? recent.data.items : [];
  const credentialList = credentials.state === 'ready' ? credentials.data.items : [];
  const names = new Map(
    repositories.state === 'ready' ? repositories.data.items.map((repo) => [repo.id, repo.name]) : [],
  );
  const shownLogs = logs.state === 'ready' ? logs.data.items : [];
  const outputLog = shownLogs.find((log) => log.id === output) ?? recentRuns.find((log) => log.id === output);
  return (
    <>
      <p className={`live-state live-${liveState}`} role="status" data-testid="live-state">
        {LIVE_LABEL[liveState]}
      </p>
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
      <section aria-labelledby="sync-repositories-title">
        <h2 id="sync-repositories-title">Repositories</h2>
        {error && <ErrorBox error={error} />}
        <Load
          value={repositories}
          render={(data) => (
            <RepositoryTable
              repositories={data.items}
              logs={recentRuns}
              onSync={trigger}
              onEdit={setEditing}
            />
          )}
        />
        {editing && (
          <SyncRepositoryForm
            key={editing.id}
            tenant={tenant}
            credentials={credentialList}
            existing={editing}
            onSaved={() => {
              setEditing(undefined);
              repositories.reload();
            }}
            onCancel={() => setEditing(undefined)}
          />
        )}
        <SyncRepositoryForm tenant={tenant} credentials={credentialList} onSaved={repositories.reload} />
      </section>
      <section aria-labelledby="sync-credentials-title">
        <h2 id="sync-credentials-title">Credentials</h2>
        <Load
          value={credentials}
          render={(data) => (
            <SyncCredentials tenant={tenant} credentials={data.items} onChanged={credentials.reload} />
          )}
        />
      </section>
      <section aria-labelledby="sync-log-title">
        <h2 id="sync-log-title">Log</h2>
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
              defaultValue={filter.repositoryId ?? ''}
              onBlur={(event) => setFilter('repositoryId', event.target.value.trim())}
              size={6}
            />
          </label>
          <label>
            Error class{' '}
            <input
              defaultValue={filter.errorClass ?? ''}
              onBlur={(event) => setFilter('errorClass', event.target.value.trim())}
              size={10}
            />
          </label>
        </div>
        <Load
          value={logs}
          render={(data) => (
            <LogTable logs={data.items} names={names} onShowOutput={(log) => setOutput(log.id)} />
          )}
        />
        {outputLog && <RunOutput log={outputLog} onClose={() => setOutput(undefined)} />}
      </section>
    </>
  );
}
