import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { serviceAvailable } from '../support/services.js';
import {
  createScratchDatabase,
  type DialectName,
  type ScratchDatabase,
} from '../support/scratch-database.js';
import { api, clone, startDirectoryServer, type DirectoryServer } from './harness.js';

const MR_LINE = /remote: merge request !(\d+): http\S+\s*\nremote: (opened|updated|replaced|unchanged) for/;
const AVAILABLE: Record<DialectName, boolean> = {
  sqlite: true,
  postgres: await serviceAvailable('postgres'),
  mysql: await serviceAvailable('mysql'),
};

interface Timeline {
  readonly events: ReadonlyArray<{ action: string; detail?: string }>;
  readonly title: string;
  readonly description: string;
  readonly targetBranch?: string;
  readonly pushedCommit: string;
}

/**
 * Issue 22 "MR identity": which merge request a push to a directory view opens, updates or
 * replaces, push options, default titles, and the commits list; on every database.
 */
for (const dialect of ['sqlite', 'postgres', 'mysql'] as const) {
  describe.skipIf(!AVAILABLE[dialect])(`merge request identity [${dialect}]`, () => {
    let mega: DirectoryServer;
    let scratch: ScratchDatabase | undefined;
    let n = 0;
    const fresh = () => join(mega.work, `c${++n}`);
    const url = (path: string) => `${mega.server.url}${path}`;

    async function push(dir: string, options: string[] = [], check = true) {
      const args = [
        'push',
        ...options.flatMap((option) => ['-o', option]),
        url('/projects/foo'),
        'HEAD:main',
      ];
      return git(args, { ...mega.as.alice, cwd: dir, check });
    }
    function outcome(stderr: string): { number: string; action: string } {
      const match = MR_LINE.exec(stderr);
      expect(match, stderr).not.toBeNull();
      return { number: match![1]!, action: match![2]! };
    }
    async function shown(number: string): Promise<Timeline> {
      const response = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${number}`);
      expect(response.status).toBe(200);
      return response.body as unknown as Timeline;
    }
    async function cloneFoo(): Promise<string> {
      const dir = fresh();
      await clone(url('/projects/foo'), dir);
      return dir;
    }

    beforeAll(async () => {
      scratch = dialect === 'sqlite' ? undefined : await createScratchDatabase(dialect);
      mega = await startDirectoryServer(scratch ? { env: { MEGA_DATABASE_URL: scratch.url } } : {});
      await makeRepo(join(mega.work, 'foo'), [{ 'README.md': '# foo\n', 'a.txt': 'a1\n', 'b.txt': 'b1\n' }]);
      await git(['push', url('/projects/foo'), 'main'], { ...mega.as.alice, cwd: join(mega.work, 'foo') });
    });
    afterAll(async () => {
      await mega?.stop();
      await scratch?.drop();
    });

    it('a push descending from an open merge request updates it; an unrelated one opens a new one; mr.replace replaces and records what it dropped', async () => {
      const first = await cloneFoo();
      const firstCommit = await commitFile(first, 'a.txt', 'a2\n', 'first change\n\nwhy it matters');
      const opened = outcome((await push(first)).stderr);
      expect(opened.action).toBe('opened');
      const secondCommit = await commitFile(first, 'a.txt', 'a3\n', 'second change');
      // Another branch name does not matter: the push descends from the request's head.
      await git(['checkout', '-q', '-b', 'topic'], { cwd: first });
      const updated = outcome(
        (await git(['push', url('/projects/foo'), 'topic'], { ...mega.as.alice, cwd: first })).stderr,
      );
      expect(updated).toEqual({ number: opened.number, action: 'updated' });
      let record = await shown(opened.number);
      expect(record.title).toBe('first change');
      expect(record.description).toBe('why it matters');
      expect(record.events.map((event) => event.action)).toEqual(['opened', 'updated']);
      expect(record.events[1]?.detail).toBe(`${secondCommit} second change`);
      // The same head again changes nothing.
      expect(
        outcome(
          (await git(['push', url('/projects/foo'), 'topic'], { ...mega.as.alice, cwd: first })).stderr,
        ),
      ).toEqual({ number: opened.number, action: 'unchanged' });

      // The commits list: oldest first, with authors.
      const commits = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${opened.number}/commits`);
      expect(commits.status).toBe(200);
      expect(commits.body.truncated).toBe(false);
      const listed = commits.body.items as Array<{
        id: string;
        subject: string;
        message: string;
        author: { name: string; email: string; time: number };
      }>;
      expect(listed.map((commit) => [commit.id, commit.subject])).toEqual([
        [firstCommit, 'first change'],
        [secondCommit, 'second change'],
      ]);
      expect(listed[0]?.author).toEqual({
        name: 'Test Author',
        email: 'author@example.com',
        time: 1700000000,
      });
      expect(listed[0]?.message).toBe('first change\n\nwhy it matters\n');
      expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests/999999/commits')).status).toBe(404);
      expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests/abc/commits')).status).toBe(400);
      expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests/0/commits')).status).toBe(400);

      // An unrelated push from another clone opens a new merge request; the first keeps its change.
      const other = await cloneFoo();
      const otherCommit = await commitFile(other, 'b.txt', 'b2\n', 'other change');
      const second = outcome((await push(other)).stderr);
      expect(second.action).toBe('opened');
      expect(second.number).not.toBe(opened.number);
      record = await shown(opened.number);
      expect(record.pushedCommit).toBe(secondCommit);

      // mr.replace: the newest open request of the same path and branch gets the new change,
      // and the timeline records the old head and the dropped commits.
      const replacement = await cloneFoo();
      const replacingCommit = await commitFile(replacement, 'b.txt', 'b3\n', 'replacing change');
      const replaced = outcome((await push(replacement, ['mr.replace'])).stderr);
      expect(replaced).toEqual({ number: second.number, action: 'replaced' });
      const force = await shown(second.number);
      expect(force.pushedCommit).toBe(replacingCommit);
      expect(force.title).toBe('replacing change');
      expect(force.events.map((event) => event.action)).toEqual(['opened', 'force_updated']);
      expect(force.events[1]?.detail).toBe(
        `old ${otherCommit}\nnew ${replacingCommit}\ndropped:\n${otherCommit} other change`,
      );
      expect((await shown(opened.number)).pushedCommit).toBe(secondCommit);
    });

    it('push options set the title, description and target; the default title skips merge commits; bad options are refused', async () => {
      const dir = await cloneFoo();
      await commitFile(dir, 'a.txt', 'x1\n', 'real first change');
      await git(['checkout', '-q', '-b', 'side', 'HEAD~1'], { cwd: dir });
      await commitFile(dir, 'README.md', '# foo side\n', 'side work');
      await git(['checkout', '-q', 'main'], { cwd: dir });
      await git(['merge', '-q', '--no-ff', '-m', "Merge branch 'main' of http://example.com/x", 'side'], {
        cwd: dir,
      });
      const opened = outcome((await push(dir)).stderr);
      const record = await shown(opened.number);
      expect(record.title).toBe('real first change');
      expect(record.description).toBe('- real first change\n- side work');
      expect(record.targetBranch).toBeUndefined();

      await commitFile(dir, 'a.txt', 'x2\n', 'more');
      const withOptions = outcome(
        (await push(dir, ['mr.title=Better\u0001 title', 'mr.description=Line one', 'mr.target=main']))
          .stderr,
      );
      expect(withOptions).toEqual({ number: opened.number, action: 'updated' });
      const updated = await shown(opened.number);
      expect(updated.title).toBe('Better title');
      expect(updated.description).toBe('Line one');
      expect(updated.targetBranch).toBe('main');

      await commitFile(dir, 'a.txt', 'x3\n', 'even more');
      const refusals: Array<[string, RegExp]> = [
        ['mr.bogus=1', /unknown push option mr\.bogus/],
        ['mr.title=' + 't'.repeat(300), /mr\.title must be 1 to 255 characters/],
        ['mr.title=', /mr\.title must be 1 to 255/],
        ['mr.target=bad..name', /mr\.target is not a valid branch name/],
        ['mr.target=nope', /has no branch nope/],
        ['mr.title', /needs a value/],
      ];
      for (const [option, reason] of refusals) {
        const refused = await push(dir, [option], false);
        expect(refused.code, option).not.toBe(0);
        expect(refused.stderr, option).toMatch(reason);
      }
      // Nothing was lost: the request still has its previous head, and the next push updates it.
      expect((await shown(opened.number)).events.map((event) => event.action)).toEqual(['opened', 'updated']);
      expect(outcome((await push(dir, ['ci.skip'])).stderr)).toEqual({
        number: opened.number,
        action: 'updated',
      });
      expect(await gitText(['log', '-1', '--format=%s'], { cwd: dir })).toBe('even more');
    });
  });
}
