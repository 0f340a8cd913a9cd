import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverToken } from './server-token.js';

describe('the token of a remote server', () => {
  it('takes MEGA_TOKEN first', async () => {
    expect(await serverToken(new URL('http://127.0.0.1:1'), { MEGA_TOKEN: 'secret' })).toBe('secret');
  });

  it("asks git's credential helper for the server's protocol and host, without a prompt", async () => {
    const home = await mkdtemp(join(tmpdir(), 'mega-credential-'));
    try {
      const config = join(home, 'gitconfig');
      // The helper answers only for this host, so the token is the one for the server asked.
      await writeFile(
        config,
        `[credential]\n\thelper = "!f() { while read line; do case \\"$line\\" in host=example.test:8443) echo username=alice; echo password=from-helper;; esac; done; }; f"\n`,
      );
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: home,
        GIT_CONFIG_GLOBAL: config,
        GIT_CONFIG_NOSYSTEM: '1',
      };
      expect(await serverToken(new URL('https://example.test:8443'), env)).toBe('from-helper');
      expect(await serverToken(new URL('https://other.test'), env)).toBeUndefined();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
