import { isMegaError } from '../../src/platform/errors.js';

/**
 * The `code` of the MegaError a promise rejects with (or a function throws), or `'no error'` when
 * it succeeds; any other error is rethrown, so a test never mistakes a crash for the refusal it
 * expects. The one helper for expected errors; `rejects.toMatchObject` where kind or details matter.
 */
export async function codeOf(action: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    if (isMegaError(error)) return error.code;
    throw error;
  }
  return 'no error';
}
