import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFile, makeFileHistory, revParse } from '../support/git-fixtures.js';
import { git } from '../support/git-cli.js';
import { runMega } from '../support/mega-process.js';
import {
  recordedComment,
  recordedIssue,
  recordedPull,
  startFakeGithub,
  webhookExamples,
  type FakeGithub,
} from '../support/fake-github.js';
import { createToken, startHttpFixture, type HttpFixture } from '../http/http-fixture.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();

/**
 * GitHub sync against a real `mega serve` (run `npm run build` first): links from REST and the
 * CLI, a poll of the fake GitHub API, the read-only REST views (a pull request's commits from
 * the mirror's `refs/pull/N/head`), and the webhook receiver with real signatures, replays and
 * hostile deliveries. No network: the fake API listens on 127.0.0.1.
 */
describe('GitHub sync on a running server', () => {
  let fx: HttpFixture;
  let fake: FakeGithub;
  let dataDir: string;
  let admin: string;
  let headSha: string;
  const env = { MEGA_GITHUB_POLL_INTERVAL: 'off' };

  beforeAll(async () => {
    fake = await startFakeGithub();
    fx = await startHttpFixture({ env });
    dataDir = join(fx.work, 'data');
    admin = await createToken(dataDir, 'root', { admin: true, env });
    const src = join(fx.work, 'src');
    await makeFileHistory(src, 2);
    await git(['-C', src, 'checkout', '-q', '-b', 'feature']);
    await commitFile(src, 'feature.txt', 'from the pull request\n', 'the pull request commit');
    headSha = await revParse(src, 'HEAD');
    for (const path of ['/import/hello', '/import/hooked']) {
      const pushed = await fx.git(2, ['-C', src, 'push', fx.url(path), 'main', 'feature:refs/pull/6/head']);
      expect(pushed.code, pushed.stderr.toString()).toBe(0);
    }
    fake.repo.issues = [1, 2, 3].map((n) => recordedIssue(n, n));
    fake.repo.pulls = [
      { ...recordedPull(6, 6), base: { label: 'o:main', ref: 'main', sha: 'f'.repeat(40) } },
    ];
    fake.repo.comments = [recordedComment(100, 6, 7)];
  });
  afterAll(async () => {
    await fx?.stop();
    await fake?.close();
  });

  const request = (method: string, path: string, token?: string, body?: unknown, headers = {}) =>
    fetch(fx.url(path), {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });

  it('links over REST (administrators only), polls, and serves the issues and pull requests', async () => {
    const body = { repo: '/import/hello', repository: 'Codertocat/Hello-World', baseUrl: fake.webUrl };
    expect((await request('POST', '/api/v1/github/links', fx.token, body)).status).toBe(403);
    const created = await request('POST', '/api/v1/github/links', admin, body);
    expect(created.status).toBe(201);
    expect((await json(created)).webhookSecret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await request('POST', '/api/v1/github/links', admin, body)).status).toBe(409);
    const notImport = await request('POST', '/api/v1/github/links', admin, { ...body, repo: '/projects/x' });
    expect((await json(notImport)).code).toBe('github_not_import');

    const synced = await request('POST', '/api/v1/github/sync?repo=/import/hello', admin);
    expect(synced.status).toBe(200);
    expect(await json(synced)).toMatchObject({ issues: 3, pulls: 1, comments: 1 });

    const issues = await json(await request('GET', '/api/v1/github/issues?repo=/import/hello', fx.token));
    expect(issues.items.map((i: { number: number }) => i.number)).toEqual([3, 2, 1]);
    expect(issues.link.repository).toBe('codertocat/hello-world');
    const open = await request('GET', '/api/v1/github/issues?repo=/import/hello&state=closed', fx.token);
    expect((await json(open)).items).toEqual([]);
    const pull = await json(await request('GET', '/api/v1/github/pulls/6?repo=/import/hello', fx.token));
    expect(pull.mirror).toEqual({ ref: 'refs/pull/6/head', head: headSha, base: 'refs/heads/main' });
    expect(pull.comments.map((c: { body: string }) => c.body)).toEqual(['comment 100']);
    // The mirror's commits of the pull request, from our storage (what its UI page shows).
    const compare = await request(
      'GET',
      `/api/v1/repos/compare-commits?repo=/import/hello&base=refs/heads/main&head=refs/pull/6/head`,
      fx.token,
    );
    expect((await json(compare)).commits.map((c: { title: string }) => c.title)).toEqual([
      'the pull request commit',
    ]);
    expect((await request('GET', '/api/v1/github/issues/99?repo=/import/hello', fx.token)).status).toBe(404);
    expect((await request('GET', '/api/v1/github/issues/abc?repo=/import/hello', fx.token)).status).toBe(400);

    // The CLI reads the same installation while the server runs.
    const status = await runMega(['github', 'status', '/import/hello', '--json', '--data', dataDir], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).counts).toEqual({ issues: { open: 3 }, pulls: { open: 1 } });

    const document = await json(await request('GET', '/api/openapi.json'));
    for (const path of ['/api/v1/github/webhook', '/api/v1/github/issues', '/api/v1/github/pulls/{number}']) {
      expect(document.paths[path], path).toBeDefined();
    }
  });

  it('receives signed webhooks once, and refuses unsigned, wrongly signed and malformed ones', async () => {
    const linked = await runMega(
      ['github', 'link', '/import/hooked', 'Codertocat/Hello-World', '--json', '--data', dataDir],
      {
        env,
      },
    );
    expect(linked.code, linked.stderr).toBe(0);
    const secret = JSON.parse(linked.stdout).webhookSecret as string;
    const opened = webhookExamples('pull_request').find((e) => e.action === 'opened') as Record<
      string,
      unknown
    >;
    const body = JSON.stringify(opened);
    const deliver = async (payload: string, headers: Record<string, string>) =>
      request('POST', '/api/v1/github/webhook', undefined, payload, {
        'X-GitHub-Event': 'pull_request',
        'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        ...headers,
      });
    const signature = await sign(secret, body);
    const first = await deliver(body, { 'X-Hub-Signature-256': signature });
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({
      status: 'stored',
      event: 'pull_request',
      repositories: ['/import/hooked'],
    });
    const replay = await deliver(body, { 'X-Hub-Signature-256': signature });
    expect(await json(replay)).toMatchObject({ status: 'duplicate' });
    const number = (opened.pull_request as { number: number }).number;
    const stored = await json(
      await request('GET', `/api/v1/github/pulls/${number}?repo=/import/hooked`, fx.token),
    );
    expect(stored.pull).toMatchObject({ number, state: 'open', sender: { login: 'Codertocat' } });

    const unsigned = await deliver(body, {});
    expect(unsigned.status).toBe(401);
    expect((await json(unsigned)).code).toBe('github_signature_missing');
    const wrong = await deliver(body, { 'X-Hub-Signature-256': await sign('another-secret-123456', body) });
    expect(wrong.status).toBe(401);
    const tampered = await deliver(body.replace('"open"', '"closed"'), { 'X-Hub-Signature-256': signature });
    expect(tampered.status).toBe(401);
    const truncated = body.slice(0, 100);
    const broken = await deliver(truncated, { 'X-Hub-Signature-256': await sign(secret, truncated) });
    expect(broken.status).toBe(400);
    expect((await json(broken)).code).toBe('github_payload_invalid');
    const form = await fetch(fx.url('/api/v1/github/webhook'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Hub-Signature-256': signature },
      body: `payload=${encodeURIComponent(body)}`,
    });
    expect(form.status).toBe(415);
  });
});
