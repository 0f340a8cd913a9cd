import { invalid } from '../platform/errors.js';
import { isValidRefName } from '../git/ref-name.js';

/** Longest repository path and ref name the schema stores (`varchar(512)`). */
export const MAX_PATH_LENGTH = 512;
export const MAX_REF_NAME_LENGTH = 512;

// Printable, no backslash, no control characters; segments are further checked below.
const PATH_SEGMENT = /^[A-Za-z0-9._+-]+$/;

/**
 * A repository path of the Mega directory: `/` or `/a/b` with segments of letters, digits and
 * `._+-`, never `.` or `..`, never starting with `.`, no empty segment, at most 512 characters.
 * Paths become directory names and URL paths, so anything else is refused.
 */
export function validateRepositoryPath(path: string): string {
  const refuse = (reason: string) =>
    invalid('invalid_repository_path', 'invalid repository path', { reason, length: path.length });
  if (path.length > MAX_PATH_LENGTH) throw refuse('too long');
  if (path === '/') return path;
  if (!path.startsWith('/') || path.endsWith('/')) throw refuse('must start and not end with /');
  for (const segment of path.slice(1).split('/')) {
    if (!PATH_SEGMENT.test(segment)) throw refuse('segment with forbidden characters or empty');
    if (segment.startsWith('.')) throw refuse('segment starts with a dot');
    if (segment.endsWith('.lock') || segment.endsWith('.git')) throw refuse('reserved segment suffix');
  }
  return path;
}

/** A full ref name (`refs/…`), checked like `git check-ref-format`; throws `invalid_ref_name`. */
export function validateRefName(name: string): string {
  const refuse = (reason: string) =>
    invalid('invalid_ref_name', 'invalid ref name', { reason, length: name.length });
  if (name.length > MAX_REF_NAME_LENGTH) throw refuse('too long');
  if (!name.startsWith('refs/') || name.length === 'refs/'.length) throw refuse('must start with refs/');
  if (!isValidRefName(name)) throw refuse('forbidden character sequence');
  return name;
}
