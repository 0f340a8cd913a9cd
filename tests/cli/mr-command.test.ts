import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import { clone, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

const PUBLIC_URL = 'https://mega.example.test/git';

/** `mega mr` against a running server (`--server`) and on the data directory, with real pushes. */
describe('mega mr', () => {
  let mega: DirectoryServer;
  /** A git configuration whose credential helper holds bob's token for the server. */
  let gitConfig: string;

  beforeAll(async () => {
    mega = await startDirectoryServer({ env: { MEGA_PUBLIC_URL: PUBLIC_URL } });
    const foo = join(mega.work, 'foo');
    await makeRepo(foo, [{ 'README.md': '# foo\nline 2\n' }]);
    await git(['push', `${mega.server.url}/projects/foo`, 'main'], { ...mega.as.alice, cwd: foo });
    const work = join(mega.work, 'clone');
    expect((await clone(`${mega.server.url}/projects/foo`, work)).code).toBe(0);
    await commitFile(work, 'README.md', '# foo\nline 2\nline 3 from alice\n', 'Add line 3\n\nWhy: testing.');
    await git(['push', `${mega.server.url}/projects/foo`, 'HEAD:main'], { ...mega.as.alice, cwd: work });

    const store = join(mega.work, 'credentials');
    const url = new URL(mega.server.url);
    await writeFile(store, `http://bob:${mega.tokens.bob}@${url.host}\n`, { mode: 0o600 });
    gitConfig = join(mega.work, 'gitconfig');
    await writeFile(gitConfig, `[credential]\n\thelper = store --file=${store}\n`);
  });
  afterAll(async () => {
    await mega?.stop();
  });

  /** `mega …` with a clean environment: no token unless given, no user git configuration. */
  const mr = (args: readonly string[], env: Record<string, string> = {}) =>
    runMega(['mr', ...args], {
      env: { MEGA_TOKEN: '', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...env },
    });

  it('show prints the diff hunks and links to the public URL, remotely and on the data directory', async () => {
    const remote = await mr(['show', '1', '--server', mega.server.url], { MEGA_TOKEN: mega.tokens.alice });
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    expect(remote.stdout).toContain(`${PUBLIC_URL}/ui/merge-requests/1`);
    expect(remote.stdout).toContain('@@ -1,2 +1,3 @@');
    expect(remote.stdout).toContain('+line 3 from alice');
    expect(remote.stdout).toContain(' line 2');
    expect(remote.stdout).toContain('--- a/projects/foo/README.md');

    const local = await mr(['show', '!1', '--data', mega.dataDir], { MEGA_PUBLIC_URL: PUBLIC_URL });
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(`${PUBLIC_URL}/ui/merge-requests/1`);
    expect(local.stdout).toContain('+line 3 from alice');
  });

  it('lists remotely as JSON with the mergeability', async () => {
    const listed = await mr(['list', '--server', mega.server.url, '--json'], {
      MEGA_TOKEN: mega.tokens.alice,
    });
    expect(listed.code).toBe(0);
    const items = JSON.parse(listed.stdout) as Array<{
      number: number;
      title: string;
      mergeability: unknown;
    }>;
    expect(items.map((item) => item.number)).toEqual([1]);
    expect(items[0]?.title).toBe('Add line 3');
    expect(items[0]?.mergeability).toBeDefined();
  });

  it('acts as the token user, under the gates: the author may not merge their own request', async () => {
    const own = await mr(['merge', '1', '--server', mega.server.url], { MEGA_TOKEN: mega.tokens.alice });
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('authors may not merge their own merge requests');
    expect(own.stderr).not.toContain(mega.tokens.alice);
  });

  it('takes the token from git credential helper when MEGA_TOKEN is not set', async () => {
    const merged = await mr(['merge', '1', '--server', `${mega.server.url}/`], {
      GIT_CONFIG_GLOBAL: gitConfig,
    });
    expect(merged.stderr).toBe('');
    expect(merged.stdout.trim()).toBe('!1 merged');
    const shown = await mr(['show', '1', '--server', mega.server.url, '--json'], {
      GIT_CONFIG_GLOBAL: gitConfig,
    });
    const detail = JSON.parse(shown.stdout) as {
      status: string;
      events: Array<{ action: string; actor: string }>;
    };
    expect(detail.status).toBe('merged');
    expect(detail.events.at(-1)).toMatchObject({ action: 'merged', actor: 'bob' });
  });

  it('without a token, a write says how to give one', async () => {
    const anonymous = await mr(['close', '1', '--server', mega.server.url]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/MEGA_TOKEN/);
  });

  it('refuses bad server URLs and numbers, and commands that need a user on the data directory', async () => {
    const withCredentials = await mr(['list', '--server', `http://bob:secret@127.0.0.1:1/`]);
    expect(withCredentials.code).toBe(1);
    expect(withCredentials.stderr).toContain('must not contain credentials');
    expect(withCredentials.stderr).not.toContain('secret');
    expect((await mr(['list', '--server', 'ftp://example.test/'])).stderr).toContain('http or https');
    const unreachable = await mr(['list', '--server', 'http://127.0.0.1:1/']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach');
    expect((await mr(['show', 'x', '--data', mega.dataDir])).stderr).toContain('not a merge request number');
    const approveLocally = await mr(['approve', '1', '--data', mega.dataDir]);
    expect(approveLocally.code).toBe(1);
    expect(approveLocally.stderr).toContain('--server');
    const badLine = await mr(['comment', '1', 'hi', '--file', 'nope', '--server', mega.server.url]);
    expect(badLine.stderr).toContain('--file');
  });

  it('answers a missing merge request with the server error', async () => {
    const missing = await mr(['show', '99', '--server', mega.server.url], { MEGA_TOKEN: mega.tokens.alice });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no merge request !99');
  });
});
