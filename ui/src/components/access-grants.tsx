import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import { ROLES } from '../access-values';
import type { Grant } from '../types';
import { MutationStatus, useMutation } from './mutation';
import { Load } from './status';
import { Listing } from './listing';

const URL = '/api/v1/access/grants';

/** The body naming a grant's subject: `{user}` or `{group}`. */
const subjectOf = (grant: Grant) =>
  grant.group !== undefined ? { group: grant.group } : { user: grant.user };
const subjectLabel = (grant: Grant) => (grant.group !== undefined ? `@${grant.group}` : (grant.user ?? ''));

/** Grants at and below a path: change a role, remove one, or give a user or group a role here. */
export function AccessGrants({ path }: { path: string }) {
  const list = useApi<{ items: Grant[] }>(apiUrl('access/grants', { path }));
  const change = useMutation();
  const setRole = (grant: Grant, role: string) => {
    void change
      .run(
        () => apiRequest('PUT', URL, { path: grant.path, ...subjectOf(grant), role }),
        `${subjectLabel(grant)} now has ${role} on ${grant.path}.`,
      )
      .then(list.reload);
  };
  const remove = (grant: Grant) => {
    if (!window.confirm(`Remove the grant of ${subjectLabel(grant)} on ${grant.path}?`)) return;
    void change
      .run(
        () => apiRequest('DELETE', URL, { path: grant.path, ...subjectOf(grant) }),
        `Removed the grant of ${subjectLabel(grant)} on ${grant.path}.`,
      )
      .then(list.reload);
  };
  return (
    <section aria-labelledby="grants-title">
      <h3 id="grants-title">Grants at and below {path}</h3>
      <Load
        value={list}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No grants.</p>
          ) : (
            <GrantTable grants={data.items} busy={change.busy} onRole={setRole} onRemove={remove} />
          )
        }
      />
      <AddGrant path={path} busy={change.busy} onAdd={(grant) => setRole(grant, grant.role)} />
      <MutationStatus mutation={change} testId="grants-message" />
    </section>
  );
}

function GrantTable(props: {
  grants: readonly Grant[];
  busy: boolean;
  onRole: (grant: Grant, role: string) => void;
  onRemove: (grant: Grant) => void;
}) {
  return (
    <Listing columns={['Path', 'User or group', 'Role', { hidden: 'Actions' }]} label="Grants">
      {props.grants.map((grant) => {
        const who = subjectLabel(grant);
        return (
          <tr key={`${grant.path} ${who}`} data-testid="grant-row">
            <td>
              <code>{grant.path}</code>
            </td>
            <td>{who}</td>
            <td>
              <select
                aria-label={`Role of ${who} on ${grant.path}`}
                value={grant.role}
                disabled={props.busy}
                onChange={(event) => props.onRole(grant, event.target.value)}
              >
                {ROLES.map((role) => (
                  <option key={role} value={role}>
                    {role}
                  </option>
                ))}
              </select>
            </td>
            <td>
              <button
                type="button"
                aria-label={`Remove the grant of ${who} on ${grant.path}`}
                disabled={props.busy}
                onClick={() => props.onRemove(grant)}
              >
                Remove
              </button>
            </td>
          </tr>
        );
      })}
    </Listing>
  );
}

/** Gives a user or a group a role on the panel's path (replacing their role there). */
function AddGrant(props: { path: string; busy: boolean; onAdd: (grant: Grant) => void }) {
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('read');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const subject = kind === 'group' ? { group: name.trim() } : { user: name.trim() };
    props.onAdd({ path: props.path, ...subject, role });
    setName('');
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a grant">
      <label>
        Grant to{' '}
        <select value={kind} onChange={(event) => setKind(event.target.value as 'user' | 'group')}>
          <option value="user">user</option>
          <option value="group">group</option>
        </select>
      </label>{' '}
      <label>
        Name <input value={name} onChange={(event) => setName(event.target.value)} maxLength={64} required />
      </label>{' '}
      <label>
        Role{' '}
        <select value={role} onChange={(event) => setRole(event.target.value)}>
          {ROLES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="submit" disabled={props.busy}>
        Add grant
      </button>
    </form>
  );
}
