import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { makeUpstream } from '../sync/support/sync-harness.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';
import { axeViolations } from './support/page-checks.js';

/**
 * Signing in and managing, end to end: token sign-in (a mistyped token refused), who is signed in,
 * sign-out, signed-out prompts instead of hanging requests, sync repositories and write-only
 * credentials added from the page, runs that update live (server-sent events) with their output.
 * How these pages look (titles, one h1, dark mode, phone width, axe-core) is walkthrough.test.ts's.
 */
const SECRET = 'ghp_e2e-never-shown-0123456789';

let temp: { path: string; remove: () => Promise<void> };
let server: MegaServer;
let session: BrowserSession;
let token: string;
let bobToken: string;
let api: ReturnType<typeof megaApi>;
let tenant: number;
let upstream: string;
const consoleErrors: string[] = [];
const screenshots: string[] = [];

async function shot(name: string, page: Page = session.page): Promise<void> {
  screenshots.push(await session.screenshot(`manage-${name}`, page));
}

async function signIn(page: Page, as = token): Promise<void> {
  await page.goto('/ui/sign-in');
  await page.getByLabel('Personal access token').fill(as);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/ui/dir');
}

describe.runIf(browserAvailable())('signing in and managing sync in the web UI', () => {
  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-manage-');
    const dataDir = join(temp.path, 'data');
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim().split('\n').pop() as string;
    const member = await runMega(['token', 'create', 'bob', '--data', dataDir]);
    expect(member.code, member.stderr).toBe(0);
    bobToken = member.stdout.trim().split('\n').pop() as string;
    server = await startMegaServer({
      dataDir,
      env: { MEGA_LOG_LEVEL: 'warn', MEGA_SYNC_ALLOW_FILE_URLS: 'true' },
    });
    api = megaApi(server.url, token);
    upstream = await makeUpstream(temp.path, 2);
    // A repository under /projects, whose review rules the Access panel sets.
    const pushed = await git(['-C', upstream, 'push', '-q', `${server.url}/projects/demo`, 'main'], {
      env: authEnv(token),
    });
    expect(pushed.code, pushed.stderr.toString()).toBe(0);
    session = await launchBrowser(server.url);
    await session.page.setViewportSize({ width: 1366, height: 900 });
    session.page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
    if (screenshots.length > 0) process.stdout.write(`screenshots:\n  ${screenshots.join('\n  ')}\n`);
  });

  it('prompts a signed-out visitor to sign in instead of hanging on "Loading…"', async () => {
    const { page } = session;
    let apiCalls = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v1/sync')) apiCalls += 1;
    });
    for (const path of ['/ui/sync', '/ui/tokens', '/ui/groups']) {
      await page.goto(path);
      await page.getByTestId('sign-in-prompt').waitFor();
      expect(await page.getByText('Loading…').count(), path).toBe(0);
      expect(await page.locator('h1').count(), path).toBe(1);
    }
    expect(apiCalls).toBe(0);
    await shot('signed-out-sync');
    expect(consoleErrors).toEqual([]);
  });

  it('turns a 401 of the API into a sign-in prompt, never a browser login popup', async () => {
    const { page } = session;
    await page.goto('/ui/sign-in');
    // A token the server no longer accepts (revoked, expired) still kept by the tab.
    await page.evaluate("sessionStorage.setItem('mega.token', 'mega_revoked-or-mistyped')");
    const refused = page.waitForResponse((response) => response.url().includes('/api/v1/sync/tenants'));
    await page.goto('/ui/sync');
    const response = await refused;
    expect(response.status()).toBe(401);
    // Browsers only open their login dialog for a Basic (or Digest) challenge.
    expect(await response.headerValue('www-authenticate')).toMatch(/^Bearer /);
    await page.getByTestId('sign-in-prompt').waitFor();
    expect(await page.getByTestId('sign-in-prompt').textContent()).toContain('no longer accepted');
    await page.getByRole('banner').getByRole('link', { name: 'Token not accepted: sign in again' }).waitFor();
    await page.evaluate("sessionStorage.removeItem('mega.token')");
    // The browser reports the refused requests; they were expected here.
    consoleErrors.splice(0, consoleErrors.length);
  });

  it('refuses a mistyped token, shows who signed in, and signs out', async () => {
    const { page } = session;
    await page.goto('/ui/sign-in');
    await page.getByLabel('Personal access token').fill(`${token.slice(0, -2)}xx`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('sign-in-refused').waitFor();
    expect(await page.getByTestId('sign-in-refused').textContent()).toContain('not accepted');
    expect(await page.evaluate("sessionStorage.getItem('mega.token')")).toBeNull();
    expect(page.url()).toContain('/ui/sign-in');
    await shot('sign-in-refused');
    consoleErrors.splice(0, consoleErrors.length);

    await signIn(page);
    const menu = page.getByTestId('user-menu');
    await expect.poll(() => menu.getByRole('link', { name: 'Signed in as admin' }).count()).toBe(1);
    expect(await menu.locator('.badge-admin').textContent()).toBe('admin');
    await shot('signed-in-header');
    await menu.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/sign-in');
    expect(await page.evaluate("sessionStorage.getItem('mega.token')")).toBeNull();
    expect(await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    expect(await page.getByTestId('user-menu').count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it('tells a user without a tenant that they have no access to sync', async () => {
    const { page } = session;
    await signIn(page, bobToken);
    await page.goto('/ui/sync');
    await page.getByTestId('sync-no-access').waitFor();
    expect(await page.getByTestId('sync-no-access').textContent()).toContain('no access to sync');
    expect(await page.getByRole('button', { name: 'Create tenant' }).count()).toBe(0);
    await shot('sync-no-access');
    await page.getByTestId('user-menu').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/sign-in');
    // The directory page after sign-in asks whether bob may manage `/` (the Access panel hides on
    // 403); the browser logs that refusal, which is expected for a user without admin rights.
    const unexpected = consoleErrors.filter((line) => !/status of 403 .*\/api\/v1\/access\/paths/.test(line));
    consoleErrors.splice(0, consoleErrors.length);
    expect(unexpected).toEqual([]);
  });

  it('creates a tenant, a write-only credential and a sync repository from the page', async () => {
    const { page } = session;
    await signIn(page);
    await page.goto('/ui/sync');
    await page.getByLabel('Tenant name').fill('e2e');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByTestId('live-state').waitFor();
    tenant = (await api<{ items: Array<{ id: number }> }>('GET', '/api/v1/sync/tenants')).items[0]!.id;

    const credentialForm = page.getByRole('form', { name: 'Add a credential' });
    await credentialForm.getByLabel('Credential name').fill('deploy');
    await credentialForm.getByLabel('Username').fill('bot');
    await credentialForm.getByLabel('Secret').fill(SECRET);
    expect(await page.getByText('Secrets are write-only').count()).toBe(1);
    await credentialForm.getByRole('button', { name: 'Add credential' }).click();
    await page.getByTestId('credential-saved').waitFor();
    await page.getByTestId('sync-credentials').getByRole('cell', { name: 'deploy', exact: true }).waitFor();
    expect(await credentialForm.getByLabel('Secret').inputValue()).toBe('');
    expect(await page.content()).not.toContain(SECRET);

    const repositoryForm = page.getByRole('form', { name: 'Add a repository' });
    await repositoryForm.getByLabel('Name').fill('upstream');
    await repositoryForm.getByLabel('Source URL').fill(`file://${upstream}`);
    await repositoryForm.getByRole('button', { name: 'Add repository' }).click();
    const row = page.getByRole('row').filter({ hasText: `file://${upstream}` });
    await row.waitFor();
    expect(await row.locator('.sync-never').count()).toBe(1);

    await row.getByRole('button', { name: 'Edit upstream' }).click();
    const editForm = page.getByRole('form', { name: 'Edit upstream' });
    await editForm.getByLabel('Schedule').fill('@every 1h');
    await editForm.getByRole('button', { name: 'Save repository' }).click();
    await expect.poll(() => row.getByText('@every 1h').count()).toBe(1);

    // After a reload the secret is nowhere: not in the page, not in what the API answers.
    await page.reload();
    await page.getByTestId('sync-credentials').waitFor();
    expect(await page.content()).not.toContain(SECRET);
    expect(JSON.stringify(await api('GET', `/api/v1/sync/tenants/${tenant}/credentials`))).not.toContain(
      SECRET,
    );
    await shot('sync-managed');
    expect(consoleErrors).toEqual([]);
  });

  it('shows a run started elsewhere as it happens, with its output', async () => {
    const { page } = session;
    await page.goto('/ui/sync');
    await expect.poll(() => page.getByTestId('live-state').textContent()).toContain('Live');
    const repositories = await api<{ items: Array<{ id: number }> }>(
      'GET',
      `/api/v1/sync/tenants/${tenant}/repositories`,
    );
    // Started through REST, not from this page: only the event stream can tell the page.
    await api('POST', `/api/v1/sync/tenants/${tenant}/repositories/${repositories.items[0]!.id}/sync`);
    const log = page.getByTestId('sync-log');
    await log.locator('.sync-success, .sync-failed').waitFor({ timeout: 60_000 });
    const runRow = log.locator('tbody tr').first();
    expect(await runRow.locator('.badge').textContent(), (await runRow.textContent()) ?? '').toBe('success');
    const row = page.getByRole('row').filter({ hasText: `file://${upstream}` });
    await expect.poll(() => row.locator('.sync-success').count()).toBe(1);
    await runRow.getByRole('button', { name: /^Output of run/ }).click();
    const output = page.getByTestId('run-output');
    await output.waitFor();
    expect(await output.textContent()).toContain(`Output of run`);
    expect(await output.textContent()).not.toContain(SECRET);
    await shot('sync-live-run');
    expect(consoleErrors).toEqual([]);
  });

  it('sets review rules from the Access panel: effective values, their origin, refusals shown', async () => {
    const { page } = session;
    await page.setViewportSize({ width: 1366, height: 900 });
    await signIn(page);
    await page.goto('/ui/dir/projects');
    await page.locator('details.access-panel > summary').click();
    const form = page.getByRole('form', { name: 'Review rules' });
    await expect
      .poll(() => form.getByTestId('effective-approvals').textContent())
      .toBe('Effective: 0 (default)');
    expect(await form.getByTestId('effective-checks').textContent()).toBe('Effective: none (default)');
    await form.getByLabel('Required approvals').selectOption('set');
    await form.getByLabel('Number of approvals').fill('2');
    await form.getByLabel('Required checks').selectOption('set');
    await form.getByLabel('Check contexts').fill('lint, ci/build');
    await form.getByRole('button', { name: 'Save review rules' }).click();
    await expect
      .poll(() => form.getByTestId('review-rules-message').textContent())
      .toBe('Review rules saved.');
    expect(await form.getByTestId('effective-approvals').textContent()).toBe('Effective: 2 (set here)');
    expect(await form.getByTestId('effective-checks').textContent()).toBe(
      'Effective: ci/build, lint (set here)',
    );
    expect(await api('GET', '/api/v1/review-rules?path=/projects')).toMatchObject({
      requiredApprovals: 2,
      requiredChecks: ['ci/build', 'lint'],
    });
    // The panel open, in light and dark: no axe violation in the form, its status or its errors.
    const problems: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const violation of await axeViolations(page)) problems.push(`${scheme}: ${violation}`);
      await shot(`review-rules-${scheme}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // A repository below inherits both, and says from where; the server's refusal is shown.
    await page.goto('/ui/repo/projects/demo/-/tree/HEAD');
    await page.locator('details.access-panel > summary').click();
    await expect
      .poll(() => form.getByTestId('effective-approvals').textContent())
      .toBe('Effective: 2 (inherited from /projects)');
    expect(await form.getByTestId('effective-checks').textContent()).toBe(
      'Effective: ci/build, lint (inherited from /projects)',
    );
    await form.getByLabel('Required approvals').selectOption('set');
    await form.getByLabel('Number of approvals').fill('-1');
    await form.getByRole('button', { name: 'Save review rules' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('whole number from 0 to 100');
    await form.getByLabel('Number of approvals').fill('');
    await form.getByRole('button', { name: 'Save review rules' }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toContain('Enter the number of required approvals');
    expect(await api('GET', '/api/v1/review-rules?path=/projects/demo')).toMatchObject({
      requiredApprovals: null,
      requiredChecks: null,
    });
    await form.getByLabel('Number of approvals').fill('0');
    await form.getByRole('button', { name: 'Save review rules' }).click();
    await expect
      .poll(() => form.getByTestId('effective-approvals').textContent())
      .toBe('Effective: 0 (set here)');

    for (const violation of await axeViolations(page)) problems.push(violation);
    await shot('review-rules-repository');
    expect(problems).toEqual([]);
    // Back to no rules, for the pages checked next.
    await api('DELETE', '/api/v1/review-rules?path=/projects/demo');
    await api('DELETE', '/api/v1/review-rules?path=/projects');
    // The browser logs the refused save (400) it was asked to make; nothing else is expected.
    const refused = consoleErrors.findIndex(
      (text) => text.includes('status of 400') && text.includes('/api/v1/review-rules'),
    );
    if (refused >= 0) consoleErrors.splice(refused, 1);
    expect(consoleErrors).toEqual([]);
  });
});
