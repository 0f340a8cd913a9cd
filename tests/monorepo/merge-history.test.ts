import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git, gitText, type GitOptions } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import { api, clone, fsckStrict, startDirectoryServer, type DirectoryServer } from './harness.js';

const MR_LINE = /remote: merge request !(\d+): /;

/**
 * Issue 22 "Pulls after merges": merge requests on one repository merged back to back keep the
 * view's history such that every pusher's clone fast-forwards after their own merge request
 * merges (the view step after a merge descends from the tip and from the merged pushed commit).
 */
describe.each(['/projects/foo', '/projects'])('three pushers merged in turn through %s', (viewPath) => {
  let mega: DirectoryServer;
  let carol: { token: string; as: GitOptions };
  const url = (path: string) => `${mega.server.url}${path}`;
  const prefix = viewPath === '/projects' ? 'foo/' : '';

  beforeAll(async () => {
    mega = await startDirectoryServer();
    const created = await runMega(['token', 'create', 'carol', '--admin', '--data', mega.dataDir]);
    const token = created.stdout.trim().split('\n').pop() ?? '';
    carol = { token, as: { env: authEnv(token) } };
    await makeRepo(join(mega.work, 'foo'), [
      { 'README.md': '# foo\n', 'alice.txt': 'a1\n', 'bob.txt': 'b1\n', 'carol.txt': 'c1\n' },
    ]);
    await git(['push', url('/projects/foo'), 'main'], { ...mega.as.alice, cwd: join(mega.work, 'foo') });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('every pusher fast-forwards after their own merge, and all do at the end', async () => {
    const pushers = [
      { name: 'alice', as: mega.as.alice, token: mega.tokens.alice, file: 'alice.txt' },
      { name: 'bob', as: mega.as.bob, token: mega.tokens.bob, file: 'bob.txt' },
      { name: 'carol', as: carol.as, token: carol.token, file: 'carol.txt' },
    ];
    const opened: Array<{ dir: string; number: string }> = [];
    for (const pusher of pushers) {
      const dir = join(mega.work, `${pusher.name}-${viewPath.replace(/\//g, '_')}`);
      await clone(url(viewPath), dir);
      await commitFile(
        dir,
        `${prefix}${pusher.file}`,
        `${pusher.name} was here\n`,
        `${pusher.name}'s change`,
      );
      const pushed = await git(['push', url(viewPath), 'main'], { ...pusher.as, cwd: dir });
      const number = MR_LINE.exec(pushed.stderr)?.[1];
      expect(number, pushed.stderr).toBeDefined();
      opened.push({ dir, number: number! });
    }
    for (const [index, pusher] of pushers.entries()) {
      // Someone else merges (REST), then the pusher pulls with --ff-only.
      const merger = pushers[(index + 1) % pushers.length]!;
      const merged = await api(
        mega.server.url,
        'POST',
        `/api/v1/merge-requests/${opened[index]!.number}/merge`,
        merger.token,
      );
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      const pulled = await git(['pull', '--ff-only', url(viewPath), 'main'], {
        ...pusher.as,
        cwd: opened[index]!.dir,
        check: false,
      });
      expect(pulled.code, pulled.stderr).toBe(0);
      for (const done of pushers.slice(0, index + 1)) {
        expect(await readFile(join(opened[index]!.dir, `${prefix}${done.file}`), 'utf8')).toBe(
          `${done.name} was here\n`,
        );
      }
    }
    for (const [index, pusher] of pushers.entries()) {
      const pulled = await git(['pull', '--ff-only', url(viewPath), 'main'], {
        ...pusher.as,
        cwd: opened[index]!.dir,
        check: false,
      });
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(await gitText(['status', '--porcelain'], { cwd: opened[index]!.dir })).toBe('');
      for (const done of pushers) {
        expect(await readFile(join(opened[index]!.dir, `${prefix}${done.file}`), 'utf8')).toBe(
          `${done.name} was here\n`,
        );
      }
    }
    // Every clone is at the same view commit, and a fresh clone is the same commit too.
    const heads = await Promise.all(opened.map(({ dir }) => gitText(['rev-parse', 'HEAD'], { cwd: dir })));
    expect(new Set(heads).size).toBe(1);
    const fresh = join(mega.work, `fresh-${viewPath.replace(/\//g, '_')}`);
    await clone(url(viewPath), fresh);
    expect(await gitText(['rev-parse', 'HEAD'], { cwd: fresh })).toBe(heads[0]);
    await fsckStrict(fresh);
    // The history contains each pusher's own commit (their clones fast-forwarded onto it).
    const log = await gitText(['log', '--format=%s'], { cwd: fresh });
    for (const pusher of pushers) expect(log).toContain(`${pusher.name}'s change`);
  });
});
