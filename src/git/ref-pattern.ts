import { isValidRefName } from './ref-name.js';

/**
 * Ref patterns of protected branches: `main` (a branch: `refs/heads/main`), `release/*` (`*`
 * matches within one path component), `release/**` (`**` matches across components), or a full
 * ref name (`refs/tags/v*`). A pattern with `*` replaced by a letter must be a valid ref name.
 */
export function isValidRefPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 255) return false;
  return isValidRefName(pattern.replace(/\*/g, 'x')) && !/\*{3,}/.test(pattern);
}

/** Whether `refName` (a full ref name) matches `pattern` (see `isValidRefPattern`). */
export function refMatches(pattern: string, refName: string): boolean {
  const full = pattern.startsWith('refs/') ? pattern : `refs/heads/${pattern}`;
  let source = '';
  for (let i = 0; i < full.length; i++) {
    if (full.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (full[i] === '*') {
      source += '[^/]*';
    } else {
      source += (full[i] as string).replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`).test(refName);
}
