import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { api, clone, fsckStrict, startDirectoryServer, type DirectoryServer } from './harness.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';

const MR_LINE = /remote: merge request !(\d+): (http\S+)/;

/** SPEC §6 push rules and merge requests, with the real git client against `mega serve`. */
describe('Mega directory push rules and merge requests', () => {
  let mega: DirectoryServer;
  let n = 0;
  const fresh = () => join(mega.work, `c${++n}`);

  beforeAll(async () => {
    mega = await startDirectoryServer();
    await makeRepo(join(mega.work, 'foo'), [
      { 'README.md': '# foo\n', 'src/a.txt': 'a1\n', 'src/b.txt': 'b1\n' },
    ]);
    await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'foo'),
    });
    await makeRepo(join(mega.work, 'bar'), [{ 'bar.txt': 'bar1\n', 'shared.txt': 's1\n' }]);
    await git(['push', `${mega.server.url}/projects/bar`, 'main'], {
      ...mega.as.alice,
      cwd: join(mega.work, 'bar'),
    });
  });
  afterAll(async () => {
    await mega?.stop();
  });

  it('root: README changes of directories are accepted, anything else is rejected with a reason', async () => {
    const dir = fresh();
    await clone(`${mega.server.url}/`, dir);
    await commitFile(dir, 'README.md', '# Mega\n\nour monorepo\n', 'readme');
    const ok = await git(['push', `${mega.server.url}/`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
      check: false,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const other = fresh();
    await clone(`${mega.server.url}/`, other);
    expect(await readFile(join(other, 'README.md'), 'utf8')).toBe('# Mega\n\nour monorepo\n');

    await commitFile(dir, 'notes.txt', 'x\n', 'not a readme');
    const refused = await git(['push', `${mega.server.url}/`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /\[remote rejected\] main -> main \(notes\.txt is not a README of a directory/,
    );
    await git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: dir });
    // A README of a directory without a b-link (issue 22) may change; a b-link may not.
    await commitFile(dir, 'projects/README.md', 'changed\n', 'nested readme');
    const nested = await git(['push', `${mega.server.url}/`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
      check: false,
    });
    expect(nested.code, nested.stderr).toBe(0);
    await commitFile(
      dir,
      'projects/foo',
      'version https://mega.com/directory/spec/v1\npath /projects/bar\n',
      'b-link',
    );
    const link = await git(['push', `${mega.server.url}/`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
      check: false,
    });
    expect(link.stderr).toMatch(/remote rejected.*projects\/foo is not a README of a directory/);
  });

  it('/projects/<repo>: a push opens a merge request and does not move the branch; a second push updates it', async () => {
    const dir = fresh();
    await clone(`${mega.server.url}/projects/foo`, dir);
    await commitFile(dir, 'src/a.txt', 'a2\n', 'change a');
    const first = await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
    });
    const opened = MR_LINE.exec(first.stderr);
    expect(opened, first.stderr).not.toBeNull();
    expect(opened?.[2]).toBe(`${mega.server.url}/ui/merge-requests/${opened?.[1]}`);
    expect((await fetch(opened?.[2] ?? '')).status).toBe(200);
    const view = fresh();
    await clone(`${mega.server.url}/projects/foo`, view);
    expect(await readFile(join(view, 'src/a.txt'), 'utf8')).toBe('a1\n');

    await commitFile(dir, 'src/a.txt', 'a3\n', 'change a again');
    const second = await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
    });
    expect(MR_LINE.exec(second.stderr)?.[1]).toBe(opened?.[1]);
    const shown = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${opened?.[1]}`);
    expect(shown.status).toBe(200);
    expect(shown.body.status).toBe('open');
    expect(shown.body.changes).toHaveLength(1);
    const diffs = shown.body.diffs as Array<{
      repoPath: string;
      diff: { files: Array<{ path: string; additions: number }> };
    }>;
    expect(diffs[0]?.repoPath).toBe('/projects/foo');
    expect(diffs[0]?.diff.files.map((file) => file.path)).toEqual(['src/a.txt']);
    expect((shown.body.events as Array<{ action: string }>).map((event) => event.action)).toEqual([
      'opened',
      'updated',
    ]);
    // Close and reopen are recorded with their actor.
    expect(
      (await api(mega.server.url, 'POST', `/api/v1/merge-requests/${opened?.[1]}/close`, mega.tokens.bob))
        .body.status,
    ).toBe('closed');
    expect(
      (await api(mega.server.url, 'POST', `/api/v1/merge-requests/${opened?.[1]}/close`, mega.tokens.bob))
        .status,
    ).toBe(409);
    expect(
      (await api(mega.server.url, 'POST', `/api/v1/merge-requests/${opened?.[1]}/reopen`, mega.tokens.bob))
        .body.status,
    ).toBe('open');
    const events = (await api(mega.server.url, 'GET', `/api/v1/merge-requests/${opened?.[1]}`)).body
      .events as Array<{
      action: string;
      actor: string;
    }>;
    expect(events.map((event) => `${event.action}:${event.actor}`)).toEqual([
      'opened:alice',
      'updated:alice',
      'closed:bob',
      'reopened:bob',
    ]);
    expect((await api(mega.server.url, 'POST', `/api/v1/merge-requests/${opened?.[1]}/merge`)).status).toBe(
      401,
    );
    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${opened?.[1]}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    // The pusher's clone is up to date after the merge (the pushed commit is the view's next step).
    const pulled = await git(['pull', '--ff-only', `${mega.server.url}/projects/foo`, 'main'], { cwd: dir });
    expect(pulled.stdout.toString()).toMatch(/Already up to date/);
  });

  it('/projects/<repo>/<dir>: a subdirectory push is mapped back onto the repository', async () => {
    const dir = fresh();
    await clone(`${mega.server.url}/projects/foo/src`, dir);
    await commitFile(dir, 'b.txt', 'b2\n', 'change b from a subdirectory clone');
    const pushed = await git(['push', `${mega.server.url}/projects/foo/src`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
    });
    const number = MR_LINE.exec(pushed.stderr)?.[1];
    const shown = await api(mega.server.url, 'GET', `/api/v1/merge-requests/${number}`);
    const diffs = shown.body.diffs as Array<{ repoPath: string; diff: { files: Array<{ path: string }> } }>;
    expect(diffs.map((item) => [item.repoPath, item.diff.files.map((file) => file.path)])).toEqual([
      ['/projects/foo', ['src/b.txt']],
    ]);
    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${number}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    const view = fresh();
    await clone(`${mega.server.url}/projects/foo`, view);
    expect(await readFile(join(view, 'src/b.txt'), 'utf8')).toBe('b2\n');
    expect(await readFile(join(view, 'src/a.txt'), 'utf8')).toBe('a3\n');
  });

  it('/projects: one merge request across two repositories merges atomically; a conflict answers 409 and moves nothing', async () => {
    const earlier = fresh();
    await clone(`${mega.server.url}/projects`, earlier);
    const dir = fresh();
    await clone(`${mega.server.url}/projects`, dir);
    await writeFile(join(dir, 'foo/README.md'), '# foo\ncross-repo\n');
    await commitFile(dir, 'bar/bar.txt', 'bar2\n', 'cross-repository change');
    const pushed = await git(['push', `${mega.server.url}/projects`, 'main'], { ...mega.as.alice, cwd: dir });
    const cross = MR_LINE.exec(pushed.stderr)?.[1];
    expect(cross, pushed.stderr).toBeDefined();

    // A second merge request from another user touches bar/shared.txt and foo/README.md too.
    const other = fresh();
    await clone(`${mega.server.url}/projects`, other);
    await writeFile(join(other, 'foo/README.md'), '# foo\nconflicting\n');
    await commitFile(other, 'bar/shared.txt', 's2\n', 'conflicting change');
    const otherPush = await git(['push', `${mega.server.url}/projects`, 'main'], {
      ...mega.as.bob,
      cwd: other,
    });
    const conflicting = MR_LINE.exec(otherPush.stderr)?.[1];
    expect(conflicting).not.toBe(cross);

    const merged = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${cross}/merge`,
      mega.tokens.bob,
    );
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect((merged.body.merged as Array<{ repoPath: string }>).map((item) => item.repoPath)).toEqual([
      '/projects/bar',
      '/projects/foo',
    ]);
    const after = fresh();
    await clone(`${mega.server.url}/projects`, after);
    await fsckStrict(after);
    expect(await readFile(join(after, 'foo/README.md'), 'utf8')).toBe('# foo\ncross-repo\n');
    expect(await readFile(join(after, 'bar/bar.txt'), 'utf8')).toBe('bar2\n');

    const refused = await api(
      mega.server.url,
      'POST',
      `/api/v1/merge-requests/${conflicting}/merge`,
      mega.tokens.alice,
    );
    expect(refused.status).toBe(409);
    const problem = refused.body as {
      code: string;
      files: Array<{ repository: string; path: string }>;
    };
    expect(problem.code).toBe('merge_conflict');
    expect(problem.files).toEqual([{ repository: '/projects/foo', path: 'README.md' }]);
    // Nothing of the conflicting request was applied, not even its non-conflicting bar change.
    const unchanged = fresh();
    await clone(`${mega.server.url}/projects`, unchanged);
    expect(await readFile(join(unchanged, 'bar/shared.txt'), 'utf8')).toBe('s1\n');
    expect((await api(mega.server.url, 'GET', `/api/v1/merge-requests/${conflicting}`)).body.status).toBe(
      'open',
    );

    // A clone made before the merge fast-forwards with git pull.
    const pull = await git(['pull', '--ff-only'], { cwd: earlier, check: false });
    expect(pull.code, pull.stderr).toBe(0);
    expect(await readFile(join(earlier, 'bar/bar.txt'), 'utf8')).toBe('bar2\n');
    await fsckStrict(earlier);
  });

  it('lists merge requests with filters', async () => {
    const open = await api(mega.server.url, 'GET', '/api/v1/merge-requests?status=open');
    expect((open.body.items as Array<{ status: string }>).every((item) => item.status === 'open')).toBe(true);
    const byBob = await api(mega.server.url, 'GET', '/api/v1/merge-requests?author=bob');
    expect((byBob.body.items as Array<{ author: string }>).map((item) => item.author)).toEqual(['bob']);
    const touchingBar = await api(mega.server.url, 'GET', '/api/v1/merge-requests?path=/projects/bar');
    expect((touchingBar.body.items as unknown[]).length).toBe(2);
    expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests?status=bogus')).status).toBe(400);
    expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests/999999')).status).toBe(404);
    expect((await api(mega.server.url, 'GET', '/api/v1/merge-requests/abc')).status).toBe(400);
  });

  it('a push that does not build on the view, or touches files outside repositories, is rejected with a reason', async () => {
    const dir = fresh();
    await makeRepo(dir, [{ 'unrelated.txt': 'x\n' }]);
    const unrelated = await git(['push', '--force', `${mega.server.url}/projects/foo`, 'main'], {
      ...mega.as.alice,
      cwd: dir,
      check: false,
    });
    expect(unrelated.stderr).toMatch(/remote rejected.*does not build on a commit of \/projects\/foo/);
    const projects = fresh();
    await clone(`${mega.server.url}/projects`, projects);
    await commitFile(projects, 'notes.txt', 'changed\n', 'directory file');
    const outside = await git(['push', `${mega.server.url}/projects`, 'main'], {
      ...mega.as.alice,
      cwd: projects,
      check: false,
    });
    expect(outside.stderr).toMatch(/remote rejected.*notes\.txt is not inside a repository/);
    const anonymous = await git(['push', `${mega.server.url}/projects/foo`, 'main'], {
      cwd: projects,
      check: false,
    });
    expect(anonymous.code).not.toBe(0);
  });

  it('mega mr list works on the data directory', async () => {
    const { runMega } = await import('../support/mega-process.js');
    const listed = await runMega(['mr', 'list', '--data', mega.dataDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/!1\tmerged\t-\talice/);
    const shown = await runMega(['mr', 'show', '1', '--data', mega.dataDir]);
    expect(shown.stdout).toMatch(/diff modified \/projects\/foo\/src\/a\.txt/);
    const open = JSON.parse(
      (await runMega(['mr', 'list', '--status', 'open', '--json', '--data', mega.dataDir])).stdout,
    ) as Array<{
      number: number;
    }>;
    const number = String(open[0]?.number);
    expect((await runMega(['mr', 'close', number, '--as', 'carol', '--data', mega.dataDir])).stdout).toMatch(
      /closed/,
    );
    expect((await runMega(['mr', 'close', number, '--as', 'carol', '--data', mega.dataDir])).code).toBe(1);
    expect((await runMega(['mr', 'reopen', number, '--as', 'dave', '--data', mega.dataDir])).code).toBe(0);
    const detail = JSON.parse(
      (await runMega(['mr', 'show', number, '--json', '--data', mega.dataDir])).stdout,
    ) as {
      events: Array<{ action: string; actor: string }>;
    };
    expect(detail.events.slice(-2).map((event) => `${event.action}:${event.actor}`)).toEqual([
      'closed:carol',
      'reopened:dave',
    ]);
    const bad = await runMega(['mr', 'show', 'abc', '--data', mega.dataDir]);
    expect(bad.stderr).toMatch(/not a merge request number/);
    expect(await gitText(['--version'])).toMatch(/git version/);
  });
});
