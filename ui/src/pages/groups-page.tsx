import { useState, type FormEvent } from 'react';
import { apiRequest, useApi } from '../api';
import { MutationStatus, useMutation, type Mutation } from '../components/mutation';
import { Load } from '../components/status';
import type { Group } from '../types';
import { SignInPrompt } from '../components/sign-in-prompt';
import { useSignedIn } from '../current-user';

const GROUPS_URL = '/api/v1/groups';
const groupUrl = (name: string) => `${GROUPS_URL}/${encodeURIComponent(name)}`;
const memberUrl = (group: string, user: string) => `${groupUrl(group)}/members/${encodeURIComponent(user)}`;

/** Groups and their members, for site administrators (`mega group …`); grants name them as `@group`. */
/** Signed out, the page says how to sign in instead of asking the API for what it cannot see. */
export function GroupsPage() {
  const signedIn = useSignedIn();
  if (signedIn) return <GroupsContent />;
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <SignInPrompt what="Managing groups" />
    </section>
  );
}

function GroupsContent() {
  const groups = useApi<{ items: Group[] }>(GROUPS_URL);
  const change = useMutation();
  const [name, setName] = useState('');
  const run = (work: () => Promise<unknown>, done: string) => void change.run(work, done).then(groups.reload);
  const create = (event: FormEvent) => {
    event.preventDefault();
    const value = name.trim();
    void change
      .run(() => apiRequest('POST', GROUPS_URL, { name: value }), `Created the group ${value}.`)
      .then((ok) => {
        if (ok) setName('');
        groups.reload();
      });
  };
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      <form className="inline-form" onSubmit={create} aria-label="New group">
        <label>
          Group name{' '}
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={64} required />
        </label>{' '}
        <button type="submit" className="primary" disabled={change.busy}>
          Create group
        </button>
      </form>
      <MutationStatus mutation={change} testId="groups-message" />
      <Load
        value={groups}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No groups.</p>
          ) : (
            data.items.map((group) => <GroupCard key={group.name} group={group} change={change} run={run} />)
          )
        }
      />
    </section>
  );
}

function GroupCard(props: {
  group: Group;
  change: Mutation;
  run: (work: () => Promise<unknown>, done: string) => void;
}) {
  const { group, change, run } = props;
  const [user, setUser] = useState('');
  const headingId = `group-${group.name}`;
  const add = (event: FormEvent) => {
    event.preventDefault();
    const value = user.trim();
    setUser('');
    run(() => apiRequest('PUT', memberUrl(group.name, value)), `Added ${value} to ${group.name}.`);
  };
  const remove = () => {
    if (!window.confirm(`Delete the group ${group.name}, its memberships and its grants?`)) return;
    run(() => apiRequest('DELETE', groupUrl(group.name)), `Deleted the group ${group.name}.`);
  };
  return (
    <section className="group-card" aria-labelledby={headingId} data-testid="group">
      <h2 id={headingId}>{group.name}</h2>
      {group.members.length === 0 ? (
        <p className="muted">No members.</p>
      ) : (
        <ul aria-label={`Members of ${group.name}`}>
          {group.members.map((member) => (
            <li key={member}>
              {member}{' '}
              <button
                type="button"
                aria-label={`Remove ${member} from ${group.name}`}
                disabled={change.busy}
                onClick={() =>
                  run(
                    () => apiRequest('DELETE', memberUrl(group.name, member)),
                    `Removed ${member} from ${group.name}.`,
                  )
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add}>
        <label>
          Add user to {group.name}{' '}
          <input value={user} onChange={(event) => setUser(event.target.value)} maxLength={64} required />
        </label>{' '}
        <button type="submit" disabled={change.busy}>
          Add member
        </button>{' '}
        <button type="button" className="danger" disabled={change.busy} onClick={remove}>
          Delete group
        </button>
      </form>
    </section>
  );
}
