import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, type BrowserSession } from '../e2e/support/browser.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';
import { git } from '../support/git-cli.js';
import { runMega } from '../support/mega-process.js';
import {
  recordedComment,
  recordedIssue,
  recordedPull,
  startFakeGithub,
  type FakeGithub,
} from '../support/fake-github.js';
import { createToken, startHttpFixture, type HttpFixture } from '../http/http-fixture.js';

const AXE = join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

/**
 * The Issues and Pull requests tabs of an /import repository in Chromium (run `npm run build`
 * first): lists, an issue with its comment, and a pull request whose commits and diff come from
 * the mirror's `refs/pull/6/head` in our own storage.
 */
describe.runIf(browserAvailable())('GitHub issues and pull requests in the web UI', () => {
  let fx: HttpFixture;
  let fake: FakeGithub;
  let session: BrowserSession;
  const env = { MEGA_GITHUB_POLL_INTERVAL: 'off' };

  beforeAll(async () => {
    fake = await startFakeGithub();
    fx = await startHttpFixture({ env });
    const src = join(fx.work, 'src');
    await makeFileHistory(src, 2);
    await git(['-C', src, 'checkout', '-q', '-b', 'feature']);
    await commitFile(src, 'feature.txt', 'from the pull request\n', 'the pull request commit');
    const pushed = await fx.git(2, [
      '-C',
      src,
      'push',
      fx.url('/import/ui-hello'),
      'main',
      'feature:refs/pull/6/head',
    ]);
    expect(pushed.code, pushed.stderr.toString()).toBe(0);
    const other = await fx.git(2, ['-C', src, 'push', fx.url('/import/ui-other'), 'main']);
    expect(other.code, other.stderr.toString()).toBe(0);
    fake.repo.issues = [1, 2].map((n) => recordedIssue(n, n));
    fake.repo.pulls = [
      { ...recordedPull(6, 6), base: { label: 'o:main', ref: 'main', sha: 'f'.repeat(40) } },
      recordedPull(7, 7),
    ];
    fake.repo.comments = [recordedComment(100, 1, 3)];
    const linked = await runMega(
      [
        'github',
        'link',
        '/import/ui-hello',
        'Codertocat/Hello-World',
        '--base-url',
        fake.webUrl,
        '--sync',
        '--data',
        join(fx.work, 'data'),
      ],
      { env },
    );
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toContain('stored 2 issues, 2 pull requests, 1 comments');
    session = await launchBrowser(fx.server.url);
  });
  afterAll(async () => {
    await session?.close();
    await fx?.stop();
    await fake?.close();
  });

  it('lists issues and shows one with its comment', async () => {
    const { page } = session;
    await page.goto('/ui/repo/import/ui-hello/-/issues');
    const rows = page.getByTestId('github-issues').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('link', { name: 'issue 1', exact: true }).click();
    await page.waitForURL('**/-/issues/1');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('issue 1');
    expect(await page.getByTestId('github-comments').textContent()).toContain('comment 100');
    expect(await page.getByRole('link', { name: 'View on GitHub' }).getAttribute('href')).toContain(
      '/issues/1',
    );
    await session.screenshot('github-issue');
  });

  it("shows a pull request's commits and diff from the mirror, or says the mirror lacks them", async () => {
    const { page } = session;
    await page.goto('/ui/repo/import/ui-hello/-/pulls');
    await expect.poll(() => page.getByTestId('github-pulls').locator('tbody tr').count()).toBe(2);
    await page.goto('/ui/repo/import/ui-hello/-/pulls/6');
    const changes = page.getByTestId('github-pull-changes');
    await expect
      .poll(() => changes.getByTestId('compare-commits').textContent())
      .toContain('the pull request commit');
    await expect.poll(() => changes.textContent()).toContain('feature.txt');
    await session.screenshot('github-pull');
    await page.evaluate(await readFile(AXE, 'utf8'));
    const violations = (await page.evaluate(
      'axe.run().then((r) => r.violations.map((v) => v.id))',
    )) as string[];
    expect(violations).toEqual([]);
    await page.goto('/ui/repo/import/ui-hello/-/pulls/7');
    await expect
      .poll(() => page.getByTestId('github-pull-no-mirror').textContent())
      .toContain('refs/pull/7/head');
  });

  it('links an unlinked repository from its Issues tab, showing the webhook secret once', async () => {
    const { page } = session;
    const admin = await createToken(join(fx.work, 'data'), 'root', { admin: true, env });
    await page.goto('/ui/sign-in');
    await page.getByLabel('Personal access token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/dir');
    await page.goto('/ui/repo/import/ui-other/-/issues');
    const form = page.getByRole('form', { name: 'Link to GitHub' });
    await form.getByLabel('GitHub repository').fill('not a repository');
    await form.getByRole('button', { name: 'Link' }).click();
    await expect.poll(() => form.getByRole('alert').count()).toBe(1);
    await form.getByLabel('GitHub repository').fill('Codertocat/Hello-World');
    await form.getByLabel('GitHub Enterprise Server URL (optional)').fill(fake.webUrl);
    await form.getByRole('button', { name: 'Link' }).click();
    const linked = page.getByTestId('github-linked');
    await expect
      .poll(() => linked.textContent())
      .toMatch(/Webhook secret for GitHub \(shown once\): [\w-]{32}/);
    await page.evaluate(await readFile(AXE, 'utf8'));
    expect(await page.evaluate('axe.run().then((r) => r.violations.map((v) => v.id))')).toEqual([]);
    await linked.getByRole('button', { name: 'Show issues' }).click();
    await expect.poll(() => page.getByTestId('github-issues').count()).toBe(1);
  });
});
