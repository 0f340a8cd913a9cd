import { useState, type FormEvent } from 'react';
import { apiRequest, apiUrl, useApi } from '../api';
import type { ReviewRule } from '../types';
import { MutationStatus, useMutation } from './mutation';
import { ErrorBox } from './status';

type Mode = 'inherit' | 'set';

/** Where an effective value comes from, as the CLI says it. */
function origin(path: string, from: string | undefined): string {
  if (from === undefined) return 'default';
  return from === path ? 'set here' : `inherited from ${from}`;
}

/** `lint, ci/build` → the contexts; an empty field is no required check at all. */
const contextsOf = (text: string) =>
  text
    .split(',')
    .map((context) => context.trim())
    .filter((context) => context !== '');

/** A path's review rule, loaded, then edited by `ReviewRulesEditor`. */
export function ReviewRulesForm({ path }: { path: string }) {
  const rule = useApi<ReviewRule>(apiUrl('review-rules', { path }));
  if (rule.state === 'loading') return null;
  if (rule.state === 'error') return <ErrorBox error={rule.error} />;
  return <ReviewRulesEditor initial={rule.data} />;
}

/**
 * Required approvals and required check contexts of a path (`PUT /api/v1/review-rules`): each
 * inherited or set here, with the effective value and where it comes from beside it. The server
 * validates (0–100 approvals, at most 50 contexts of 1–128 printable characters); its refusal is
 * shown as it says it.
 */
function ReviewRulesEditor({ initial }: { initial: ReviewRule }) {
  const [rule, setRule] = useState(initial);
  const [approvalsMode, setApprovalsMode] = useState<Mode>(
    initial.requiredApprovals === null ? 'inherit' : 'set',
  );
  const [approvals, setApprovals] = useState(
    String(initial.requiredApprovals ?? initial.effective.requiredApprovals),
  );
  const [checksMode, setChecksMode] = useState<Mode>(initial.requiredChecks === null ? 'inherit' : 'set');
  const [checks, setChecks] = useState(
    (initial.requiredChecks ?? initial.effective.requiredChecks).join(', '),
  );
  const save = useMutation();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void save.run(async () => {
      let requiredApprovals: number | null = null;
      if (approvalsMode === 'set') {
        // A number field holds '' for anything that is not a number: say so instead of sending it.
        if (approvals.trim() === '')
          throw new Error('Enter the number of required approvals, or choose inherit.');
        requiredApprovals = Number(approvals);
      }
      const body = {
        path: rule.path,
        requiredApprovals,
        requiredChecks: checksMode === 'set' ? contextsOf(checks) : null,
      };
      setRule(await apiRequest<ReviewRule>('PUT', '/api/v1/review-rules', body));
    }, 'Review rules saved.');
  };
  const effectiveChecks = rule.effective.requiredChecks.join(', ') || 'none';
  return (
    // noValidate: the server decides what is valid, and its reason shows beside the form.
    <form className="stacked-form" onSubmit={submit} aria-label="Review rules" noValidate>
      <h3>Review rules of {rule.path}</h3>
      <p className="muted small">
        What merge requests touching this path need before they merge. Paths below inherit them.
      </p>
      <label>
        Required approvals{' '}
        <select value={approvalsMode} onChange={(event) => setApprovalsMode(event.target.value as Mode)}>
          <option value="inherit">inherit</option>
          <option value="set">set here</option>
        </select>
      </label>
      {approvalsMode === 'set' && (
        <label>
          Number of approvals{' '}
          <input
            type="number"
            min={0}
            max={100}
            step={1}
            value={approvals}
            onChange={(event) => setApprovals(event.target.value)}
          />
        </label>
      )}
      <span className="muted small" data-testid="effective-approvals">
        Effective: {rule.effective.requiredApprovals} ({origin(rule.path, rule.effective.approvalsFrom)})
      </span>
      <label>
        Required checks{' '}
        <select value={checksMode} onChange={(event) => setChecksMode(event.target.value as Mode)}>
          <option value="inherit">inherit</option>
          <option value="set">set here</option>
        </select>
      </label>
      {checksMode === 'set' && (
        <>
          <label>
            Check contexts{' '}
            <input
              type="text"
              value={checks}
              placeholder="ci/build, lint"
              aria-describedby="review-checks-help"
              onChange={(event) => setChecks(event.target.value)}
            />
          </label>
          <span id="review-checks-help" className="muted small">
            Comma-separated; empty: none required.
          </span>
        </>
      )}
      <span className="muted small" data-testid="effective-checks">
        Effective: {effectiveChecks} ({origin(rule.path, rule.effective.checksFrom)})
      </span>
      <div>
        <button type="submit" disabled={save.busy}>
          Save review rules
        </button>
      </div>
      <MutationStatus mutation={save} testId="review-rules-message" />
    </form>
  );
}
