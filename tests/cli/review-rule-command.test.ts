import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import { api, startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

/** `mega access review` on the data directory of a running server, checked against REST. */
describe('mega access review', () => {
  let mega: DirectoryServer;
  const run = (...args: string[]) => runMega(['access', ...args, '--data', mega.dataDir]);
  const ok = async (...args: string[]) => {
    const result = await run(...args);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return result.stdout.trimEnd().split('\n');
  };
  /** The review lines of `mega access list --path /projects/foo`: the rules in force there. */
  const listed = async () =>
    (await ok('list', '--path', '/projects/foo')).filter((line) => line.includes('\treview\t'));

  beforeAll(async () => {
    mega = await startDirectoryServer();
    const foo = join(mega.work, 'foo');
    await makeRepo(foo, [{ 'README.md': '# foo\n', 'src/main.c': 'int main;\n' }]);
    await git(['push', `${mega.server.url}/projects/foo`, 'main'], { ...mega.as.alice, cwd: foo });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('shows the default rule without options, and changes nothing', async () => {
    expect(await ok('review', '/projects')).toEqual([
      'review rule of /projects',
      '  required approvals: 0 (default: set nowhere at or above)',
      '  required checks: none (default: set nowhere at or above)',
    ]);
    expect(await listed()).toEqual([]);
  });

  it('sets approvals and checks, inherited below with where they come from, as REST sees them', async () => {
    expect(await ok('review', 'projects/', '--approvals', '2', '--checks', 'lint, ci/build')).toEqual([
      'review rule of /projects',
      '  required approvals: 2 (set on /projects)',
      '  required checks: ci/build, lint (set on /projects)',
    ]);
    expect(await ok('review', '/projects/foo.git', '--checks', '')).toEqual([
      'review rule of /projects/foo',
      '  required approvals: 2 (inherited from /projects)',
      '  required checks: none (set on /projects/foo)',
    ]);
    const shown = JSON.parse((await ok('review', '/projects/foo', '--json')).join('\n')) as unknown;
    const rest = await api(
      mega.server.url,
      'GET',
      '/api/v1/review-rules?path=/projects/foo',
      mega.tokens.alice,
    );
    expect(rest.status).toBe(200);
    expect(shown).toEqual(rest.body);
    expect(shown).toEqual({
      path: '/projects/foo',
      requiredApprovals: null,
      requiredChecks: [],
      effective: {
        requiredApprovals: 2,
        approvalsFrom: '/projects',
        requiredChecks: [],
        checksFrom: '/projects/foo',
      },
    });
    expect(await ok('list', '--path', '/projects/foo')).toEqual([
      '/projects/foo\talice\tmaintain',
      '/projects\treview\tapprovals 2\tchecks ci/build,lint',
      '/projects/foo\treview\tapprovals inherit\tchecks none',
    ]);
  });

  it('inherit clears a value; clearing both removes the rule', async () => {
    expect(await ok('review', '/projects/foo', '--checks', 'inherit', '--approvals', 'inherit')).toEqual([
      'review rule of /projects/foo',
      '  required approvals: 2 (inherited from /projects)',
      '  required checks: ci/build, lint (inherited from /projects)',
    ]);
    expect(await listed()).toEqual(['/projects\treview\tapprovals 2\tchecks ci/build,lint']);
    await ok('review', '/projects', '--approvals', '0');
    expect(await ok('review', '/projects', '--approvals', 'inherit', '--checks', 'inherit')).toContain(
      '  required approvals: 0 (default: set nowhere at or above)',
    );
    expect(await listed()).toEqual([]);
  });

  it('refuses bad numbers, contexts and paths with the reason, and changes nothing', async () => {
    await ok('review', '/projects', '--approvals', '1');
    const cases: Array<[string[], RegExp]> = [
      [['review', '/projects', '--approvals', '-1'], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals=-1'], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals', 'abc'], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals', '1.5'], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals', '101'], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals', ''], /whole number from 0 to 100/],
      [['review', '/projects', '--approvals', '0x10'], /whole number from 0 to 100/],
      [['review', '/projects', '--checks', 'a\u0007b'], /check context is 1-128 printable characters/],
      [['review', '/projects', '--checks', 'x'.repeat(129)], /check context is 1-128 printable characters/],
      [
        ['review', '/projects', '--checks', Array.from({ length: 51 }, (_, i) => `c${i}`).join(',')],
        /at most 50/,
      ],
      [
        ['review', '/projects/nope', '--approvals', '1'],
        /no such path in the Mega directory: \/projects\/nope/,
      ],
      [['review', '/projects/nope'], /no such path in the Mega directory/],
      [['review', '/elsewhere', '--approvals', '1'], /no such path in the Mega directory/],
      [['review', '/projects/foo/src', '--approvals', '1'], /inside the repository \/projects\/foo/],
      [['review', '/projects/../etc', '--approvals', '1'], /invalid path/],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(message);
    }
    expect(await listed()).toEqual(['/projects\treview\tapprovals 1\tchecks inherit']);
    await ok('review', '/projects', '--approvals', 'inherit');
  });
});
