import { isValidRefName } from '../git/ref-name.js';
import { invalid } from '../platform/errors.js';
import { stripControlCharacters } from './pushed-commits.js';

/** Longest title kept (the seed's `mr_msg` is varchar(255)). */
export const MAX_MR_TITLE = 255;
/** Longest description taken from a push option (a pkt-line carries at most 65516 bytes anyway). */
export const MAX_MR_DESCRIPTION = 64 * 1024;
const MAX_TARGET_BRANCH = 255;

/** What `git push -o mr.…` asks of the merge request a push opens or updates. */
export interface MergeRequestOptions {
  readonly title?: string;
  readonly description?: string;
  /** A branch name (without `refs/heads/`) in every touched repository. */
  readonly targetBranch?: string;
  /** `-o mr.replace`: a push that does not descend from the open merge request replaces its change. */
  readonly replace: boolean;
}

const KNOWN = ['mr.title', 'mr.description', 'mr.target', 'mr.replace'] as const;

/**
 * Parses the `mr.*` push options (`git push -o mr.title=…`). Other options (`ci.skip`…) are left
 * to whoever reads them; an unknown `mr.*` option, a repeated one, an over-long value or a target
 * that is not a valid branch name is refused (`invalid`, the reason the client prints). Control
 * characters are stripped from the title and the description.
 */
export function parseMergeRequestOptions(options: readonly string[]): MergeRequestOptions {
  const values = new Map<string, string>();
  for (const option of options) {
    if (!option.toLowerCase().startsWith('mr.')) continue;
    const equals = option.indexOf('=');
    const key = (equals < 0 ? option : option.slice(0, equals)).toLowerCase();
    const value = equals < 0 ? undefined : option.slice(equals + 1);
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw invalid(
        'push_option_unknown',
        `unknown push option ${stripControlCharacters(key).slice(0, 64)}: use ${KNOWN.join(', ')}`,
      );
    }
    if (values.has(key)) throw invalid('push_option_invalid', `push option ${key} is given twice`);
    if (key === 'mr.replace') {
      if (value !== undefined && value !== '' && value !== 'true')
        throw invalid('push_option_invalid', 'mr.replace takes no value');
      values.set(key, 'true');
      continue;
    }
    if (value === undefined)
      throw invalid('push_option_invalid', `push option ${key} needs a value: ${key}=…`);
    values.set(key, value);
  }
  const title = values.has('mr.title') ? stripControlCharacters(values.get('mr.title')!).trim() : undefined;
  if (title !== undefined && (title === '' || title.length > MAX_MR_TITLE)) {
    throw invalid('push_option_invalid', `mr.title must be 1 to ${MAX_MR_TITLE} characters`);
  }
  const description = values.has('mr.description')
    ? stripControlCharacters(values.get('mr.description')!)
    : undefined;
  if (description !== undefined && Buffer.byteLength(description) > MAX_MR_DESCRIPTION) {
    throw invalid('push_option_invalid', `mr.description is longer than ${MAX_MR_DESCRIPTION} bytes`);
  }
  const target = values.get('mr.target')?.replace(/^refs\/heads\//, '');
  if (
    target !== undefined &&
    (target === '' || target.length > MAX_TARGET_BRANCH || !isValidRefName(`refs/heads/${target}`))
  ) {
    throw invalid('push_option_invalid', 'mr.target is not a valid branch name');
  }
  return {
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(target !== undefined ? { targetBranch: target } : {}),
    replace: values.has('mr.replace'),
  };
}
