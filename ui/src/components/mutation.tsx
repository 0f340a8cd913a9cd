import { useCallback, useState } from 'react';
import { ErrorBox } from './status';

export interface Mutation {
  /** Runs `work`; on success shows `done` (if given) and returns true, else shows the error. */
  run(work: () => Promise<unknown>, done?: string): Promise<boolean>;
  readonly busy: boolean;
  readonly error: Error | undefined;
  readonly message: string | undefined;
}

/** State of a form's change requests: one at a time, the last outcome shown. */
export function useMutation(): Mutation {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [message, setMessage] = useState<string>();
  const run = useCallback(async (work: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      await work();
      setMessage(done);
      return true;
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, message };
}

/** The last outcome of a mutation: a status line or the error with its hint. */
export function MutationStatus({ mutation, testId }: { mutation: Mutation; testId?: string }) {
  return (
    <>
      {mutation.message && (
        <p role="status" data-testid={testId}>
          {mutation.message}
        </p>
      )}
      {mutation.error && <ErrorBox error={mutation.error} />}
    </>
  );
}
