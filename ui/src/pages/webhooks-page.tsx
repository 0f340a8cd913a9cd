import { useState, type FormEvent } from 'react';
import { apiRequest, useApi } from '../api';
import { useMutation, MutationStatus } from '../components/mutation';
import { Load, TimeAgo } from '../components/status';
import { Listing } from '../components/listing';

const WEBHOOKS_URL = '/api/v1/webhooks';
/** Payloads and response bodies wrap instead of widening the page. */
const WRAPPED = { whiteSpace: 'pre-wrap', wordBreak: 'break-all' } as const;
const EVENTS = ['push', 'merge_request', 'comment', 'approval', 'status'] as const;

interface Webhook {
  id: number;
  path: string;
  url: string;
  events: string[];
  active: boolean;
  createdBy: string;
  createdAt: string;
}

interface Delivery {
  id: number;
  deliveryId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt?: string;
  responseStatus?: number;
  durationMs?: number;
  error?: string;
  createdAt: string;
}

interface DeliveryDetail extends Delivery {
  payload: unknown;
  responseBody?: string;
}

function When({ iso }: { iso: string }) {
  return <TimeAgo seconds={Date.parse(iso) / 1000} />;
}

/**
 * Webhooks of the paths the signed-in user administers: list, create (a ping follows), enable,
 * disable, delete, and each one's delivery log with attempts and responses, and redelivery.
 */
export function WebhooksPage() {
  const hooks = useApi<{ items: Webhook[] }>(WEBHOOKS_URL);
  const [open, setOpen] = useState<number>();
  const change = useMutation();
  const toggle = (hook: Webhook) =>
    void change
      .run(
        () => apiRequest('PATCH', `${WEBHOOKS_URL}/${hook.id}`, { active: !hook.active }),
        `${hook.active ? 'Disabled' : 'Enabled'} webhook ${hook.id}.`,
      )
      .then(hooks.reload);
  const remove = (hook: Webhook) => {
    if (!window.confirm(`Delete the webhook to ${hook.url} and its delivery log?`)) return;
    void change
      .run(() => apiRequest('DELETE', `${WEBHOOKS_URL}/${hook.id}`), `Deleted webhook ${hook.id}.`)
      .then(hooks.reload);
  };
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <CreateWebhook onCreated={hooks.reload} />
      <h2>Your webhooks</h2>
      <MutationStatus mutation={change} testId="webhook-changed" />
      <Load
        value={hooks}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No webhooks on paths you administer.</p>
          ) : (
            <Listing
              columns={['Path', 'URL', 'Events', 'Active', 'Created', { hidden: 'Actions' }]}
              label="Webhooks"
            >
              {data.items.map((hook) => (
                <tr key={hook.id} data-testid="webhook-row">
                  <td>{hook.path}</td>
                  <td style={{ wordBreak: 'break-all' }}>{hook.url}</td>
                  <td>{hook.events.join(', ')}</td>
                  <td>{hook.active ? 'yes' : 'no'}</td>
                  <td>
                    <When iso={hook.createdAt} /> by {hook.createdBy}
                  </td>
                  <td>
                    <button type="button" onClick={() => setOpen(open === hook.id ? undefined : hook.id)}>
                      {open === hook.id ? 'Hide deliveries' : 'Deliveries'}
                    </button>{' '}
                    <button type="button" disabled={change.busy} onClick={() => toggle(hook)}>
                      {hook.active ? 'Disable' : 'Enable'}
                    </button>{' '}
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Delete webhook ${hook.id}`}
                      disabled={change.busy}
                      onClick={() => remove(hook)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </Listing>
          )
        }
      />
      {open !== undefined && <Deliveries hookId={open} />}
    </section>
  );
}

/** A webhook's delivery log, newest first: status, attempts, response, and redelivery. */
function Deliveries({ hookId }: { hookId: number }) {
  const log = useApi<{ items: Delivery[] }>(`${WEBHOOKS_URL}/${hookId}/deliveries?limit=50`);
  const [shown, setShown] = useState<number>();
  const redeliver = useMutation();
  const again = (delivery: Delivery) =>
    void redeliver
      .run(
        () => apiRequest('POST', `${WEBHOOKS_URL}/${hookId}/deliveries/${delivery.id}/redeliver`),
        `Queued delivery ${delivery.deliveryId} again.`,
      )
      .then(log.reload);
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">
        Deliveries of webhook {hookId}{' '}
        <button type="button" onClick={log.reload}>
          Refresh
        </button>
      </h2>
      <MutationStatus mutation={redeliver} testId="webhook-redelivered" />
      <Load
        value={log}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No deliveries yet.</p>
          ) : (
            <Listing
              columns={[
                'Event',
                'Status',
                'Attempts',
                'Response',
                'Duration',
                'Queued',
                { hidden: 'Actions' },
              ]}
              label="Deliveries"
            >
              {data.items.map((delivery) => (
                <tr key={delivery.id} data-testid="delivery-row">
                  <td>{delivery.event}</td>
                  <td>
                    {delivery.status}
                    {delivery.nextAttemptAt && (
                      <span className="muted">
                        {' '}
                        (next try <When iso={delivery.nextAttemptAt} />)
                      </span>
                    )}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>{delivery.responseStatus ?? delivery.error ?? '—'}</td>
                  <td>{delivery.durationMs === undefined ? '—' : `${delivery.durationMs} ms`}</td>
                  <td>
                    <When iso={delivery.createdAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() => setShown(shown === delivery.id ? undefined : delivery.id)}
                    >
                      {shown === delivery.id ? 'Hide' : 'Payload'}
                    </button>{' '}
                    <button type="button" disabled={redeliver.busy} onClick={() => again(delivery)}>
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </Listing>
          )
        }
      />
      {shown !== undefined && <DeliveryPayload hookId={hookId} deliveryId={shown} />}
    </section>
  );
}

function DeliveryPayload({ hookId, deliveryId }: { hookId: number; deliveryId: number }) {
  const detail = useApi<DeliveryDetail>(`${WEBHOOKS_URL}/${hookId}/deliveries/${deliveryId}`);
  return (
    <Load
      value={detail}
      render={(data) => (
        <div>
          <h3>Payload of {data.deliveryId}</h3>
          <pre style={WRAPPED}>{JSON.stringify(data.payload, null, 2)}</pre>
          {data.responseBody !== undefined && (
            <>
              <h3>Response body</h3>
              <pre style={WRAPPED}>{data.responseBody}</pre>
            </>
          )}
        </div>
      )}
    />
  );
}

/** The form for a new webhook; the secret is sent once and never shown again. */
function CreateWebhook({ onCreated }: { onCreated: () => void }) {
  const [path, setPath] = useState('/projects');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [events, setEvents] = useState<readonly string[]>(['push', 'merge_request']);
  const create = useMutation();
  const toggle = (event: string, on: boolean) =>
    setEvents((current) => (on ? [...current, event] : current.filter((value) => value !== event)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create
      .run(
        () => apiRequest('POST', WEBHOOKS_URL, { path: path.trim(), url: url.trim(), secret, events }),
        'Created the webhook; a ping delivery is on its way.',
      )
      .then((ok) => {
        if (!ok) return;
        setUrl('');
        setSecret('');
        onCreated();
      });
  };
  return (
    <form className="stacked-form" onSubmit={submit} aria-label="New webhook">
      <h2>New webhook</h2>
      <label>
        Path <input value={path} onChange={(event) => setPath(event.target.value)} maxLength={512} required />
      </label>
      <label>
        Target URL{' '}
        <input
          type="url"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
          maxLength={2048}
          placeholder="https://ci.example/hooks/mega"
          required
        />
      </label>
      <label>
        Secret{' '}
        <input
          type="password"
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          minLength={8}
          maxLength={256}
          autoComplete="new-password"
          required
        />
      </label>
      <fieldset>
        <legend>Events</legend>
        {EVENTS.map((name) => (
          <label key={name} className="inline-choice">
            <input
              type="checkbox"
              checked={events.includes(name)}
              onChange={(event) => toggle(name, event.target.checked)}
            />{' '}
            {name}
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={create.busy || events.length === 0}>
        Create webhook
      </button>
      <MutationStatus mutation={create} testId="webhook-created" />
    </form>
  );
}
