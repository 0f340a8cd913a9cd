import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { checkCommentBody, MAX_COMMENT_BYTES } from './comment-body.js';

function refusal(body: string): string | undefined {
  try {
    checkCommentBody(body);
    return undefined;
  } catch (error) {
    return isMegaError(error) ? error.code : 'not a MegaError';
  }
}

describe('checkCommentBody', () => {
  it('keeps text as written: markdown, tabs, CRLF, emoji, right-to-left text', () => {
    for (const body of ['LGTM', '  indented\n\tcode\r\n', '`x`😀', 'שלום', 'a'.repeat(MAX_COMMENT_BYTES)]) {
      expect(checkCommentBody(body)).toBe(body);
    }
  });

  it('refuses empty and blank bodies', () => {
    expect(refusal('')).toBe('comment_body_invalid');
    expect(refusal(' \n\t\r\n')).toBe('comment_body_invalid');
  });

  it('counts the limit in UTF-8 bytes', () => {
    expect(refusal('a'.repeat(MAX_COMMENT_BYTES + 1))).toBe('comment_body_too_large');
    // 3 bytes each: fewer characters than the limit, more bytes.
    expect(refusal('€'.repeat(MAX_COMMENT_BYTES / 2))).toBe('comment_body_too_large');
  });

  it('refuses NUL and other control characters, naming the first', () => {
    for (const body of ['a\u0000b', 'bell\u0007', 'esc\u001b[31m', 'del\u007f', 'form\u000c']) {
      expect(refusal(body)).toBe('comment_body_invalid');
    }
    try {
      checkCommentBody('ok\u001bbad');
    } catch (error) {
      expect(isMegaError(error) && error.details).toEqual({ character: 'U+001B', offset: 2 });
    }
  });
});
