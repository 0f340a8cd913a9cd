import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger.js';

describe('redactUrl', () => {
  it('redacts credential-like query values and any mega_ value, keeping the rest', () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/user', '/api/v1/user'],
      ['/a?access_token=abc', '/a?access_token=[redacted]'],
      ['/a?token=abc&x=1', '/a?token=[redacted]&x=1'],
      ['/a?q=mega_abc', '/a?q=[redacted]'],
      ['/a?q=MEGA_abc', '/a?q=[redacted]'],
      ['/a?q=%6Dega_abc', '/a?q=[redacted]'],
      ['/a.git/info/refs?service=git-upload-pack', '/a.git/info/refs?service=git-upload-pack'],
      ['/a?private_token', '/a?private_token=[redacted]'],
      ['/a?password=x&api_key=y', '/a?password=[redacted]&api_key=[redacted]'],
    ];
    for (const [url, logged] of cases) expect({ url, logged: redactUrl(url) }).toEqual({ url, logged });
  });
});
