import { isMegaError } from '../../src/platform/errors.js';

/**
 * The `code` of the MegaError a promise rejects with, or `'no error'` when it resolves; any other
 * rejection is rethrown, so a test never mistakes a crash for the refusal it expects.
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isMegaError(error)) return error.code;
    throw error;
  }
  return 'no error';
}
