import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/dialects.js';
import { git, gitText } from '../support/git-cli.js';
import { makeRepo } from '../support/git-fixtures.js';
import { startReviewServer, type ReviewServer } from './review-server.js';

/** The commit-status API (GitHub's statuses shape) after a real `git push`, on every database. */
describeEachDialect('commit statuses', (_getDb, dialect) => {
  let mega: ReviewServer;
  let sha = '';
  let tree = '';
  const repo = '/import/ci-app';
  const statuses = (commit: string, path = repo) =>
    `/api/v1/repos/statuses/${commit}?repo=${encodeURIComponent(path)}`;

  beforeAll(async () => {
    mega = await startReviewServer(dialect);
    const dir = join(mega.work, 'ci-app');
    sha = await makeRepo(dir, [{ 'README.md': '# app\n' }]);
    tree = await gitText(['rev-parse', 'HEAD^{tree}'], { cwd: dir });
    await git(['push', `${mega.url}${repo}`, 'main'], { ...mega.as.bob, cwd: dir });
  });
  afterAll(async () => {
    await mega?.close();
  });

  it('keeps the latest state per context and combines them like GitHub', async () => {
    const post = (body: unknown) => mega.api('POST', statuses(sha), { token: 'root-token', body });
    const combined = async () =>
      (await mega.api('GET', `/api/v1/repos/commits/${sha}/status?repo=${repo}`)).body;
    expect((await combined()).state).toBe('pending'); // none yet
    const first = await post({ state: 'pending', context: 'ci/build', targetUrl: 'https://ci.example/1' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ repoPath: repo, commit: sha, context: 'ci/build', state: 'pending' });
    expect((await combined()).state).toBe('pending');
    await post({ state: 'success', context: 'ci/build', description: 'built' });
    expect(await combined()).toMatchObject({ state: 'success', totalCount: 1 });
    await post({ state: 'error' }); // context "default"
    const all = await combined();
    expect(all.state).toBe('failure');
    expect(all.statuses.map((s: { context: string; state: string }) => `${s.context}:${s.state}`)).toEqual([
      'ci/build:success',
      'default:error',
    ]);
    // GitHub's spelling of the link, as CI integrations made for GitHub's status API send it.
    const github = await post({ state: 'error', target_url: 'https://ci.example/2' });
    expect(github.body).toMatchObject({ context: 'default', targetUrl: 'https://ci.example/2' });
    // Upper-case ids are the same commit.
    const listed = await mega.api('GET', statuses(sha.toUpperCase()));
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    expect(listed.body.items[0]).toMatchObject({ description: 'built', creator: 'root' });
    expect(listed.body.items[0].targetUrl).toBeUndefined(); // the latest post had none
  });

  it('refuses bad shas, unknown repositories, bad states and oversized fields with clear codes', async () => {
    const post = (commit: string, body: unknown, path = repo, token = 'root-token') =>
      mega.api('POST', statuses(commit, path), { token, body });
    const code = async (result: Promise<{ status: number; body: { code?: string } }>) => {
      const { status, body } = await result;
      return `${status} ${body?.code}`;
    };
    expect(await code(post('abc123', { state: 'success' }))).toBe('400 status_sha_invalid');
    expect(await code(post('z'.repeat(40), { state: 'success' }))).toBe('400 status_sha_invalid');
    expect(await code(post('1'.repeat(40), { state: 'success' }))).toBe('404 commit_not_found');
    expect(await code(post(tree, { state: 'success' }))).toBe('404 commit_not_found'); // a tree
    expect(await code(post(sha, { state: 'success' }, '/import/nope'))).toBe('404 repository_not_found');
    expect(await code(post(sha, { state: 'done' }))).toBe('400 status_state_invalid');
    expect(await code(post(sha, {}))).toBe('400 body_invalid');
    expect(await code(post(sha, { state: 'success', context: 'c'.repeat(129) }))).toBe(
      '400 status_context_invalid',
    );
    expect(await code(post(sha, { state: 'success', context: 'a\nb' }))).toBe('400 status_context_invalid');
    expect(await code(post(sha, { state: 'success', description: 'd'.repeat(141) }))).toBe(
      '400 status_description_invalid',
    );
    expect(await code(post(sha, { state: 'success', description: 'd'.repeat(5000) }))).toBe(
      '400 body_invalid',
    );
    for (const url of [
      'javascript:alert(1)',
      'ftp://ci.example/',
      'not a url',
      `https://x/${'a'.repeat(2048)}`,
    ]) {
      expect(await code(post(sha, { state: 'success', targetUrl: url }))).toBe(
        '400 status_target_url_invalid',
      );
    }
    expect(await code(post(sha, { state: 'success', targetUrl: 'https://u:p@ci.example/' }))).toBe(
      '400 status_target_url_invalid',
    );
    // A token is needed, and write on the repository.
    expect((await mega.api('POST', statuses(sha), { body: { state: 'success' } })).status).toBe(401);
    expect(await code(post(sha, { state: 'success', context: 'bob' }, repo, 'bob-token'))).toBe(
      '201 undefined',
    );
    expect(await code(mega.api('GET', statuses('1'.repeat(40))))).toBe('404 commit_not_found');
    // Nothing refused was recorded.
    const listed = await mega.api('GET', statuses(sha));
    expect(listed.body.items.map((s: { context: string }) => s.context)).toEqual([
      'bob',
      'ci/build',
      'default',
    ]);
  });

  it('announces each status as a review event', async () => {
    const seen: string[] = [];
    mega.app.services.review.events.subscribe((event) => {
      if (event.type === 'status')
        seen.push(`${event.repoPath} ${event.context} ${event.state} ${event.actor}`);
    });
    await mega.api('POST', statuses(sha), {
      token: 'root-token',
      body: { state: 'failure', context: 'lint' },
    });
    await mega.app.services.review.events.settled();
    expect(seen).toEqual([`${repo} lint failure root`]);
  });
});
