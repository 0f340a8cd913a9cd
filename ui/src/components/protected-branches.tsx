import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import { MutationStatus, useMutation } from './mutation';
import { Load } from './status';

const URL = '/api/v1/access/protected-branches';

/** A repository's protected-branch patterns (`main`, `release/*`, `release/**`, `refs/tags/v*`). */
export function ProtectedBranches({ repo }: { repo: string }) {
  const list = useApi<{ items: string[] }>(apiUrl('access/protected-branches', { repo }));
  const [pattern, setPattern] = useState('');
  const change = useMutation();
  const add = (event: FormEvent) => {
    event.preventDefault();
    const value = pattern.trim();
    void change
      .run(() => apiRequest('PUT', URL, { repo, pattern: value }), `Protected ${value}.`)
      .then((ok) => {
        if (ok) setPattern('');
        list.reload();
      });
  };
  const remove = (value: string) => {
    void change
      .run(() => apiRequest('DELETE', URL, { repo, pattern: value }), `No longer protected: ${value}.`)
      .then(list.reload);
  };
  return (
    <section aria-labelledby="protected-title">
      <h3 id="protected-title">Protected branches</h3>
      <Load
        value={list}
        render={(data) =>
          data.items.length === 0 ? (
            <p className="muted">No protected branches.</p>
          ) : (
            <ul aria-label="Protected branch patterns">
              {data.items.map((value) => (
                <li key={value}>
                  <code>{value}</code>{' '}
                  <button type="button" aria-label={`Unprotect ${value}`} onClick={() => remove(value)}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      />
      <form className="inline-form" onSubmit={add}>
        <label>
          Branch pattern{' '}
          <input
            value={pattern}
            onChange={(event) => setPattern(event.target.value)}
            placeholder="release/*"
            maxLength={255}
            required
          />
        </label>{' '}
        <button type="submit" disabled={change.busy}>
          Protect
        </button>
      </form>
      <MutationStatus mutation={change} testId="protected-message" />
    </section>
  );
}
