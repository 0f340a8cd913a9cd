import { invalid, tooLarge } from '../platform/errors.js';

/** Largest comment body stored, in UTF-8 bytes (a long review note fits; a pasted log does not). */
export const MAX_COMMENT_BYTES = 64 * 1024;

/**
 * Control characters refused in a body: everything below U+0020 but tab, line feed and carriage
 * return, and DEL. NUL cannot be stored by PostgreSQL; the others are invisible in the UI and in
 * mail and serve only to hide text.
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Checks a comment body as written (it is stored unchanged): not blank, at most
 * `MAX_COMMENT_BYTES`, no control characters. An empty body is what marks a deleted comment, so
 * refusing blank ones also keeps that mark unambiguous.
 */
export function checkCommentBody(body: string): string {
  if (body.trim() === '') throw invalid('comment_body_invalid', 'a comment needs a non-empty body');
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_COMMENT_BYTES) {
    throw tooLarge('comment_body_too_large', `a comment body is at most ${MAX_COMMENT_BYTES} bytes`, {
      limit: MAX_COMMENT_BYTES,
      size: bytes,
    });
  }
  const control = CONTROL.exec(body);
  if (control) {
    throw invalid('comment_body_invalid', 'a comment body cannot contain control characters', {
      character: `U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`,
      offset: control.index,
    });
  }
  return body;
}
