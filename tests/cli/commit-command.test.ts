import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import { startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

/** `mega commit` against a running `mega serve`: the token from the environment, never argv. */
describe('mega commit', () => {
  let mega: DirectoryServer;

  beforeAll(async () => {
    mega = await startDirectoryServer();
    await makeRepo(join(mega.work, 'foo'), [{ 'README.md': '# foo\n', 'tool.sh': 'echo\n' }]);
    await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'foo'),
    });
    await makeRepo(join(mega.work, 'bar'), [{ 'bar.txt': 'bar1\n' }]);
    await git(['push', `${mega.server.url}/import/bar`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'bar'),
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  const env = () => ({ MEGA_TOKEN: mega.tokens.alice, GIT_TERMINAL_PROMPT: '0' });

  it('opens a merge request under /projects and prints its link', async () => {
    const local = join(mega.work, 'notes.md');
    await writeFile(local, 'notes\n');
    const result = await runMega(
      [
        'commit',
        '--server',
        mega.server.url,
        '--path',
        '/projects/foo',
        '-m',
        'notes from the CLI',
        '--create',
        `docs/notes.md=${local}`,
        '--chmod',
        '+x:tool.sh',
        '--title',
        'CLI notes',
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^merge request !\\d+: ${mega.server.url}/ui/merge-requests/\\d+\\ncommit [0-9a-f]{40}\\n$`),
    );
  });

  it('moves the branch under /import and prints the commit', async () => {
    const local = join(mega.work, 'bar2.txt');
    await writeFile(local, 'bar2\n');
    const result = await runMega(
      [
        'commit',
        '--server',
        mega.server.url,
        '--path',
        '/import/bar',
        '-m',
        'bar',
        '--update',
        `bar.txt=${local}`,
      ],
      { env: env() },
    );
    expect(result.code, result.stderr).toBe(0);
    const commit = /is now ([0-9a-f]{40})/.exec(result.stdout)?.[1];
    const listed = await gitText(['ls-remote', `${mega.server.url}/import/bar`, 'refs/heads/main']);
    expect(listed.split('\t')[0]).toBe(commit);
  });

  it('says why it was refused: no token, a stale base, a bad flag', async () => {
    const noToken = await runMega(
      ['commit', '--server', mega.server.url, '--path', '/import/bar', '-m', 'x', '--delete', 'bar.txt'],
      { env: { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } },
    );
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/MEGA_TOKEN/);
    const stale = await runMega(
      [
        'commit',
        '--server',
        mega.server.url,
        '--path',
        '/import/bar',
        '--base',
        '1'.repeat(40),
        '-m',
        'x',
        '--delete',
        'bar.txt',
      ],
      { env: env() },
    );
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/mega: .*moved on.*head/);
    const badFlag = await runMega(
      ['commit', '--server', mega.server.url, '--path', '/import/bar', '-m', 'x', '--move', 'a'],
      {
        env: env(),
      },
    );
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/--move a: expected/);
    // The token never shows in what the command printed.
    for (const run of [stale, badFlag]) expect(run.stdout + run.stderr).not.toContain(mega.tokens.alice);
  });
});
