import { useState, type FormEvent } from 'react';
import { apiRequest } from '../api';
import { VISIBILITIES } from '../access-values';
import type { PathSettings } from '../types';
import { MutationStatus, useMutation } from './mutation';

const INHERIT = 'inherit';
const SELF_MERGE = { inherit: null, allow: true, deny: false } as const;
type SelfMergeChoice = keyof typeof SELF_MERGE;

const selfMergeChoice = (value: boolean | null): SelfMergeChoice =>
  value === null ? 'inherit' : value ? 'allow' : 'deny';

/** A path's own visibility and self-merge rule (or inherit), with the effective values beside. */
export function PathSettingsForm({ settings: initial }: { settings: PathSettings }) {
  const [settings, setSettings] = useState(initial);
  const [visibility, setVisibility] = useState(initial.visibility ?? INHERIT);
  const [selfMerge, setSelfMerge] = useState(selfMergeChoice(initial.selfMerge));
  const save = useMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      path: settings.path,
      visibility: visibility === INHERIT ? null : visibility,
      selfMerge: SELF_MERGE[selfMerge],
    };
    void save.run(async () => {
      setSettings(await apiRequest<PathSettings>('PUT', '/api/v1/access/paths', body));
    }, 'Settings saved.');
  };
  return (
    <form className="stacked-form" onSubmit={submit} aria-label="Path settings">
      <h3>Settings of {settings.path}</h3>
      <label>
        Visibility{' '}
        <select value={visibility} onChange={(event) => setVisibility(event.target.value)}>
          <option value={INHERIT}>inherit</option>
          {VISIBILITIES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <span className="muted small" data-testid="effective-visibility">
        Effective: {settings.effective.visibility}
      </span>
      <label>
        Self-merge{' '}
        <select value={selfMerge} onChange={(event) => setSelfMerge(event.target.value as SelfMergeChoice)}>
          {Object.keys(SELF_MERGE).map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <span className="muted small" data-testid="effective-self-merge">
        Effective: {settings.effective.selfMerge ? 'allowed' : 'denied'}
      </span>
      <div>
        <button type="submit" disabled={save.busy}>
          Save settings
        </button>
      </div>
      <MutationStatus mutation={save} testId="path-settings-message" />
    </form>
  );
}
