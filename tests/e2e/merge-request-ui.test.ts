import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';

/**
 * The merge request page end to end: alice opens a merge request with a real `git push`, reads it
 * (Overview, Commits, Changes in unified and split layouts), comments on a line and replies, sees
 * why she may not merge it herself, and bob, a maintainer, merges it. Screenshots at 1366×900 and
 * 390×844 land in test-artifacts/screenshots/. Uncaught page errors, console errors and 5xx
 * answers fail the run; 4xx answers are expected (refusals the page shows as reasons, and the 404
 * of endpoints an older server lacks).
 *
 * Steps that need the review endpoints of issue 22 (discussions, merge status, approvals) check
 * the server's OpenAPI document and are skipped, loudly, on a server without them.
 */
const REPO = '/projects/app';
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

const README_BEFORE = '# App\n\nA small app.\nIt does one thing.\n\nLicence: MIT\n';
const README_AFTER =
  '# App\n\nA small app of the review test.\nIt does one thing well.\nAnd says so.\n\nLicence: MIT\n';

describe.runIf(browserAvailable())('the merge request page', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let tokens: Record<'admin' | 'alice' | 'bob', string>;
  let number: string;
  /** A request changing the line alice's changed, opened before hers merges. */
  let conflicting: string;
  /** Review routes this server has (the OpenAPI paths), for the steps that need them. */
  let routes: Set<string>;
  const problems: string[] = [];
  const screenshots: string[] = [];

  const tokenOf = async (user: string, ...flags: string[]) => {
    const created = await runMega(['token', 'create', user, ...flags, '--data', join(temp.path, 'data')]);
    expect(created.code, created.stderr).toBe(0);
    return created.stdout.trim();
  };
  const has = (suffix: string) => routes.has(`/api/v1/merge-requests/{number}/${suffix}`);
  const needs = (suffix: string, skip: (note: string) => void) => {
    if (has(suffix)) return;
    process.stderr.write(
      `\n*** SKIPPING: this server has no /api/v1/merge-requests/{number}/${suffix} ***\n`,
    );
    skip(`needs ${suffix}`);
  };
  const signInAs = async (user: keyof typeof tokens | undefined) => {
    const { page } = session;
    await page.goto('/ui/sign-in');
    await page.evaluate(
      user
        ? `sessionStorage.setItem('mega.token', ${JSON.stringify(tokens[user])})`
        : `sessionStorage.clear()`,
    );
  };
  const shot = async (name: string) => {
    screenshots.push(await session.screenshot(`mr-${name}`));
  };
  /** The page is never wider than the window: only boxes inside it (the diff) scroll sideways. */
  const expectNoHorizontalOverflow = async (page: Page) => {
    const [scrollWidth, innerWidth] = (await page.evaluate(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    )) as [number, number];
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  };
  const openPage = async (tab = '') => {
    const { page } = session;
    await page.goto(`/ui/merge-requests/${number}${tab}`);
    await page.getByTestId('mr-status').waitFor();
  };
  const fileDiff = (path: string) => session.page.locator(`[data-testid="file-diff"][data-path="${path}"]`);
  /** Pushes a change to README.md or another file as `user` and returns the merge request opened. */
  const proposeAs = async (user: 'admin' | 'bob', name: string, files: Record<string, string>) => {
    const clone = join(temp.path, name);
    await git(['clone', '-q', `${server.url}${REPO}.git`, clone], { env: authEnv(tokens[user]) });
    for (const [path, content] of Object.entries(files)) await writeFile(join(clone, path), content);
    await git(['-C', clone, 'add', '-A']);
    await git(['-C', clone, 'commit', '-q', '-m', name]);
    const pushed = await git(['-C', clone, 'push', 'origin', 'HEAD:main'], {
      env: authEnv(tokens[user]),
      check: false,
    });
    const opened = /merge request !(\d+)/.exec(pushed.stderr)?.[1];
    expect(opened, pushed.stderr).toBeDefined();
    return opened as string;
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-mr-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    tokens = {
      admin: await tokenOf('admin', '--admin'),
      alice: await tokenOf('alice'),
      bob: await tokenOf('bob'),
    };
    const src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await mkdir(join(src, 'src'), { recursive: true });
    await writeFile(join(src, 'README.md'), README_BEFORE);
    await writeFile(join(src, 'src', 'main.ts'), 'export const answer = 41;\n');
    await git(['-C', src, 'add', '-A']);
    await git(['-C', src, 'commit', '-q', '-m', 'first version']);
    await git(['-C', src, 'push', '-q', `${server.url}${REPO}.git`, 'main'], { env: authEnv(tokens.admin) });
    const admin = megaApi(server.url, tokens.admin);
    await admin('PUT', '/api/v1/access/grants', { path: REPO, user: 'alice', role: 'maintain' });
    await admin('PUT', '/api/v1/access/grants', { path: REPO, user: 'bob', role: 'maintain' });
    const openapi = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: object };
    routes = new Set(Object.keys(openapi.paths));

    session = await launchBrowser(server.url);
    await session.page.setViewportSize(DESKTOP);
    session.page.on('console', (message) => {
      // A refused request is logged by Chromium as "Failed to load resource"; the response
      // listener below judges those by their status instead.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${message.text()}`);
      }
    });
    session.page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} ${response.url()}`);
    });
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
    if (screenshots.length > 0) process.stdout.write(`screenshots:\n  ${screenshots.join('\n  ')}\n`);
  });

  it('alice opens a merge request by pushing, and it is listed with its mergeability', async () => {
    const clone = join(temp.path, 'alice');
    await git(['clone', '-q', `${server.url}${REPO}.git`, clone], { env: authEnv(tokens.alice) });
    await git(['-C', clone, 'config', 'user.name', 'Alice']);
    await git(['-C', clone, 'config', 'user.email', 'alice@example.com']);
    await writeFile(join(clone, 'README.md'), README_AFTER);
    await git(['-C', clone, 'commit', '-q', '-am', 'Explain the app better']);
    await writeFile(join(clone, 'src', 'main.ts'), 'export const answer = 42;\n');
    await git(['-C', clone, 'commit', '-q', '-am', 'Fix the answer']);
    const pushed = await git(['-C', clone, 'push', 'origin', 'HEAD:main'], {
      env: authEnv(tokens.alice),
      check: false,
    });
    number = /merge request !(\d+)/.exec(pushed.stderr)?.[1] ?? '';
    expect(number, pushed.stderr).not.toBe('');

    await signInAs('alice');
    const { page } = session;
    await page.goto('/ui/merge-requests');
    const item = page.locator('.mr-list li').filter({ hasText: `!${number} ` });
    await expect.poll(() => item.getByTestId('mr-mergeability').count()).toBe(1);
    expect(['mergeable', 'conflict', 'mergeability unknown']).toContain(
      await item.getByTestId('mr-mergeability').textContent(),
    );
    expect(await page.locator('h1').count()).toBe(1);
  });

  it('shows the overview: title, status, author, target, repositories, timeline, panels', async () => {
    await openPage();
    const { page } = session;
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toContain(`!${number}`);
    expect(await page.title()).toContain(`!${number}`);
    expect(await page.getByTestId('mr-status').textContent()).toBe('open');
    expect(await page.locator('.mr-header').textContent()).toContain('alice');
    expect(await page.locator('.mr-repositories').getByRole('link', { name: REPO }).count()).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid="timeline"] li[data-action="opened"]').count())
      .toBe(1);
    for (const panel of ['approvals-panel', 'mergeability-panel', 'checks-panel', 'code-owners-panel']) {
      expect(await page.getByTestId(panel).count(), panel).toBe(1);
    }
    await shot('01-overview');
  });

  it('lists the commits it proposes', async ({ skip }) => {
    needs('commits', skip);
    const { page } = session;
    await page.getByRole('link', { name: 'Commits', exact: true }).click();
    await page.waitForURL(`**/ui/merge-requests/${number}/commits`);
    await page
      .locator('.mr-main')
      .getByText(/Loading/)
      .waitFor({ state: 'detached' });
    await shot('02-commits');
    const commits = page.getByTestId('mr-commits').locator('li');
    await expect.poll(() => commits.count()).toBe(2);
    expect(await commits.nth(0).textContent()).toContain('Explain the app better');
    expect(await commits.nth(1).textContent()).toContain('Fix the answer');
  });

  it('shows the changes unified and split, remembering the choice', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Changes', exact: true }).click();
    await page.waitForURL(`**/ui/merge-requests/${number}/changes`);
    const readme = fileDiff('README.md');
    await expect.poll(() => readme.locator('table.diff-unified').count()).toBe(1);
    expect(await readme.locator('tr.diff-add').count()).toBe(3);
    await shot('03-changes-unified');

    await page.getByRole('button', { name: 'Split', exact: true }).click();
    await expect.poll(() => readme.locator('table.diff-split').count()).toBe(1);
    expect(await page.evaluate("localStorage.getItem('mega.diff-mode')")).toBe('split');
    // A changed line faces its new version: old line 3 on the left, new line 3 on the right.
    const paired = readme.locator('tr.diff-split-row').filter({ hasText: 'A small app of the review test.' });
    expect(await paired.locator('td.diff-delete').textContent()).toContain('A small app.');
    await shot('04-changes-split');
    await page.reload();
    await expect.poll(() => fileDiff('README.md').locator('table.diff-split').count()).toBe(1);

    // Files collapse and expand.
    await fileDiff('src/main.ts').getByRole('button', { name: 'Collapse src/main.ts' }).click();
    expect(await fileDiff('src/main.ts').locator('table').count()).toBe(0);
    await fileDiff('src/main.ts').getByRole('button', { name: 'Expand src/main.ts' }).click();
    expect(await fileDiff('src/main.ts').locator('table').count()).toBe(1);
    await page.getByRole('button', { name: 'Unified', exact: true }).click();
    await expect.poll(() => fileDiff('README.md').locator('table.diff-unified').count()).toBe(1);
  });

  it('comments on a line by keyboard, replies and resolves the thread', async ({ skip }) => {
    needs('discussions', skip);
    const { page } = session;
    const readme = fileDiff('README.md');
    const lineButton = readme.getByRole('button', { name: 'Comment on new line 4 of README.md' });
    await lineButton.focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('textbox', { name: 'Comment', exact: true })
      .fill('Is "well" needed?\nIt reads fine without.');
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    const thread = readme.getByTestId('thread');
    await expect.poll(() => thread.count()).toBe(1);
    expect(await thread.locator('.comment-body').first().textContent()).toBe(
      'Is "well" needed?\nIt reads fine without.',
    );
    // The thread hangs under its line: the row right after new line 4.
    const underLine = readme.locator(
      'tr:has(button[data-side="new"][data-line="4"]) + tr.diff-annotation-row',
    );
    expect(await underLine.getByTestId('thread').count()).toBe(1);

    await thread.getByRole('button', { name: 'Reply', exact: true }).click();
    await thread.getByRole('textbox', { name: 'Reply' }).fill('Yes: it is the point of the change.');
    await thread.getByRole('button', { name: 'Reply', exact: true }).click();
    await expect.poll(() => thread.getByTestId('comment').count()).toBe(2);
    const reply = thread.getByTestId('comment').nth(1);
    await reply.getByRole('button', { name: 'Edit', exact: true }).click();
    await reply.getByRole('textbox', { name: 'Edit comment' }).fill('Yes: it is the whole point.');
    await reply.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => reply.locator('.comment-body').textContent()).toBe('Yes: it is the whole point.');
    expect(await reply.textContent()).toContain('edited');
    await thread.getByRole('button', { name: 'Resolve', exact: true }).click();
    await expect.poll(() => thread.locator('.resolved-badge').textContent()).toBe('resolved by alice');
    await shot('04-inline-thread');
    await thread.getByRole('button', { name: 'Unresolve', exact: true }).click();
    await expect.poll(() => thread.locator('.resolved-badge').count()).toBe(0);

    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const timeline = page.getByTestId('timeline');
    await expect.poll(() => timeline.locator('li[data-action="commented"]').count()).toBe(2);
    expect(await timeline.locator('li[data-action="resolved"]').count()).toBe(1);
  });

  it('shows the statuses CI posted on the head, with their links', async ({ skip }) => {
    if (!routes.has('/api/v1/repos/statuses/{sha}')) {
      process.stderr.write('\n*** SKIPPING: this server has no /api/v1/repos/statuses/{sha} ***\n');
      skip('needs commit statuses');
    }
    const admin = megaApi(server.url, tokens.admin);
    const detail = await admin<{ changes: Array<{ headCommit: string }> }>(
      'GET',
      `/api/v1/merge-requests/${number}`,
    );
    const head = detail.changes[0]?.headCommit ?? '';
    await admin('POST', `/api/v1/repos/statuses/${head}?repo=${REPO}`, {
      state: 'failure',
      context: 'ci/build',
      targetUrl: 'https://ci.example/build/1',
      description: '2 tests failed',
    });
    await openPage();
    const check = session.page.getByTestId('checks-panel').getByTestId('check');
    await expect.poll(() => check.count()).toBe(1);
    expect(await check.locator('.badge').textContent()).toBe('failing');
    expect(await check.getByRole('link', { name: 'ci/build' }).getAttribute('href')).toBe(
      'https://ci.example/build/1',
    );
    expect(await check.textContent()).toContain('2 tests failed');
  });

  it('tells alice exactly why she may not merge her own merge request', async () => {
    await openPage();
    const { page } = session;
    const merge = page.getByRole('button', { name: 'Merge', exact: true });
    const reasons = page.getByTestId('merge-reasons');
    if (!has('merge-status')) {
      // Without the merge-status endpoint the page learns the reason from the refusal itself.
      await merge.click();
    }
    await expect
      .poll(() => reasons.textContent())
      .toContain('authors may not merge their own merge requests');
    expect(await merge.isDisabled()).toBe(true);
    expect(await merge.getAttribute('aria-describedby')).toBe('merge-reasons');
    expect(await page.getByTestId('mr-status').textContent()).toBe('open');
    if (has('approve')) {
      expect(await page.getByTestId('approvals-panel').textContent()).toContain(
        'Authors cannot approve their own merge requests.',
      );
    }
    await shot('05-merge-disabled');
  });

  it('tells a signed-out reader to sign in to merge', async () => {
    await signInAs(undefined);
    await openPage();
    const { page } = session;
    await expect.poll(() => page.getByTestId('merge-reasons').textContent()).toBe('sign in to merge');
    expect(await page.getByRole('button', { name: 'Merge', exact: true }).isDisabled()).toBe(true);
  });

  it('fits a phone: nothing wider than the window, the diff scrolls in its box', async () => {
    await signInAs('alice');
    const { page } = session;
    await page.setViewportSize(PHONE);
    try {
      await openPage();
      await expectNoHorizontalOverflow(page);
      await shot('07-phone-overview');
      for (const layout of ['Unified', 'Split']) {
        await page.getByRole('link', { name: 'Changes', exact: true }).click();
        await page.getByRole('button', { name: layout, exact: true }).click();
        await expect.poll(() => fileDiff('README.md').locator('table.diff-table').count()).toBe(1);
        await expectNoHorizontalOverflow(page);
        await shot(`08-phone-changes-${layout.toLowerCase()}`);
      }
      await page.getByRole('button', { name: 'Unified', exact: true }).click();
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  it('offers alice to update from the target once another merge moved it', async ({ skip }) => {
    needs('update', skip);
    // admin proposes a note, bob merges it: the target of alice's request moves.
    const notes = await proposeAs('admin', 'add-notes', { 'NOTES.md': 'notes\n' });
    await megaApi(server.url, tokens.bob)('POST', `/api/v1/merge-requests/${notes}/merge`);
    await signInAs('alice');
    await openPage();
    const { page } = session;
    const panel = page.getByTestId('mergeability-panel');
    const update = panel.getByRole('button', { name: 'Update from target' });
    await expect.poll(() => update.count()).toBe(1);
    expect(await panel.textContent()).toContain(`The target moved in ${REPO}.`);
    await shot('06-target-moved');
    await update.click();
    await expect
      .poll(() => page.locator('[data-testid="timeline"] li[data-action="target_updated"]').count())
      .toBe(1);
    await expect.poll(() => update.count()).toBe(0);
    expect(await page.getByTestId('mergeability').textContent()).toBe('clean');
  });

  it('bob, a maintainer, approves and merges it from the page', async () => {
    // Meanwhile admin changes the line alice changed: that request will conflict once hers merges.
    conflicting = await proposeAs('admin', 'Two things', {
      'README.md': README_BEFORE.replace('It does one thing.', 'It does two things.'),
    });
    await signInAs('bob');
    await openPage();
    const { page } = session;
    if (has('approve')) {
      const panel = page.getByTestId('approvals-panel');
      await panel.getByRole('button', { name: 'Approve', exact: true }).click();
      await expect.poll(() => panel.textContent()).toContain('Approved by bob');
    }
    const merge = page.getByRole('button', { name: 'Merge', exact: true });
    await expect.poll(() => merge.isEnabled()).toBe(true);
    await merge.click();
    await expect.poll(() => page.getByTestId('mr-status').textContent()).toBe('merged');
    await expect
      .poll(() => page.locator('[data-testid="timeline"] li[data-action="merged"]').count())
      .toBe(1);
    expect(await page.getByRole('button', { name: 'Merge', exact: true }).count()).toBe(0);
    await shot('09-merged');
    const blob = await megaApi(server.url, tokens.bob)<{ content: string }>(
      'GET',
      `/api/v1/repos/blob?repo=${REPO}&path=README.md`,
    );
    expect(blob.content).toBe(README_AFTER);
  });

  it('shows a conflicting request as such: badge, files, and the reason Merge is disabled', async ({
    skip,
  }) => {
    needs('update', skip);
    const { page } = session;
    await signInAs('bob');
    await page.goto('/ui/merge-requests');
    const item = page.locator('.mr-list li').filter({ hasText: `!${conflicting} ` });
    await expect.poll(() => item.getByTestId('mr-mergeability').textContent()).toBe('conflict');
    await page.goto(`/ui/merge-requests/${conflicting}`);
    const panel = page.getByTestId('mergeability-panel');
    await expect
      .poll(() => panel.getByRole('list', { name: 'Conflicting files' }).textContent())
      .toBe(`${REPO}/README.md`);
    if (has('merge-status')) {
      await expect
        .poll(() => page.getByTestId('merge-reasons').textContent())
        .toBe(`conflicts in ${REPO}/README.md`);
      expect(await page.getByRole('button', { name: 'Merge', exact: true }).isDisabled()).toBe(true);
    }
    await shot('10-conflict');
  });

  it('met no page errors, console errors or server errors', () => {
    expect(problems).toEqual([]);
  });
});
