import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { withAccessRules } from './support/access-rules.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';

/**
 * The web UI end to end: a real `mega serve`, the real git client, and Debian's Chromium driven
 * headless by playwright-core. Screenshots land in test-artifacts/screenshots/.
 */
let temp: { path: string; remove: () => Promise<void> };
let server: MegaServer;
let session: BrowserSession;
let token: string;
let api: ReturnType<typeof megaApi>;
const screenshots: string[] = [];

function authEnv(): Record<string, string> {
  // The token travels in git's environment (an http.extraHeader from GIT_CONFIG_*), never in argv or URLs.
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
  };
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

async function pushNewRepository(
  name: string,
  remotePath: string,
  files: Record<string, string>,
): Promise<void> {
  const dir = join(temp.path, name);
  await git(['init', '-q', '-b', 'main', dir]);
  await writeFiles(dir, files);
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '-m', `${name}: first version`], { cwd: dir });
  await git(['push', '-q', `${server.url}${remotePath}.git`, 'main'], { cwd: dir, env: authEnv() });
}

async function shot(name: string): Promise<void> {
  screenshots.push(await session.screenshot(name));
}

describe.runIf(browserAvailable())('web UI against a real server', () => {
  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    // The administrator merges their own merge requests from the page: a team opts in per path.
    await withAccessRules(dataDir, (access) =>
      access.setPathSetting('/projects', { selfMerge: true }).then(() => {}),
    );
    api = megaApi(server.url, token);
    session = await launchBrowser(server.url);
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
    if (screenshots.length > 0) process.stdout.write(`screenshots:\n  ${screenshots.join('\n  ')}\n`);
  });

  it('signs in with a token kept in sessionStorage', async () => {
    const { page } = session;
    await page.goto('/ui/sign-in');
    await page.getByLabel('Personal access token').fill(token);
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/dir');
    expect(await page.evaluate("sessionStorage.getItem('mega.token')")).toBe(token);
    await expect.poll(() => page.getByRole('link', { name: 'Signed in as' }).count()).toBe(1);
  });

  it('browses the directory to a file with line numbers and highlighting', async () => {
    await pushNewRepository('demo', '/projects/demo', {
      'README.md': '# Demo\n\nA project of the e2e test.\n',
      'lib/hello.ts':
        'export function hello(name: string): string {\n  // greet someone\n  return `hi ${name}`;\n}\n',
    });
    const { page } = session;
    await page.goto('/ui/');
    await page.getByRole('link', { name: 'projects', exact: true }).click();
    await page.waitForURL('**/ui/dir/projects');
    const demoRow = page.getByRole('row').filter({ hasText: 'demo' });
    await expect.poll(() => demoRow.getByText('repository').count()).toBe(1);
    expect(await page.getByTestId('clone-command').textContent()).toBe(
      `git clone ${server.url}/projects.git`,
    );
    await shot('02-directory-projects');
    await demoRow.getByRole('link', { name: 'demo' }).click();
    await page.getByRole('link', { name: 'lib', exact: true }).click();
    await page.getByRole('link', { name: 'hello.ts' }).click();
    await page.waitForSelector('table.code');
    expect(await page.locator('#L3 .line-code').textContent()).toBe('  return `hi ${name}`;');
    expect(await page.locator('.hljs-keyword').first().textContent()).toBe('export');
    expect(await page.getByRole('link', { name: 'Raw' }).getAttribute('href')).toContain(
      '/api/v1/repos/raw?',
    );
    await shot('03-file-view');
    await page.setViewportSize({ width: 375, height: 800 });
    await shot('04-file-view-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/ui/dir/import');
    expect(await page.getByTestId('clone-rule').textContent()).toContain(
      'cannot merge several repositories into one',
    );
    await shot('05-import-clone-rule');
  });

  it('shows a merge request opened by a real git push and merges it from the page', async () => {
    const clone = join(temp.path, 'demo-clone');
    await git(['clone', '-q', `${server.url}/projects/demo.git`, clone], { env: authEnv() });
    await writeFiles(clone, {
      'lib/hello.ts':
        'export function hello(name: string): string {\n  // greet someone politely\n  return `hello ${name}`;\n}\n',
    });
    await git(['commit', '-q', '-am', 'Greet more politely'], { cwd: clone });
    const pushed = await git(['push', 'origin', 'HEAD:main'], { cwd: clone, env: authEnv(), check: false });
    const number = /merge request !(\d+)/.exec(pushed.stderr)?.[1];
    expect(number, pushed.stderr).toBeDefined();
    const { page } = session;
    await page.goto('/ui/merge-requests');
    await page.getByRole('link', { name: new RegExp(`!${number} Greet more politely`) }).click();
    await page.getByRole('link', { name: 'Changes', exact: true }).click();
    const fileDiff = page.getByTestId('file-diff').filter({ hasText: 'lib/hello.ts' });
    await expect.poll(() => fileDiff.locator('.diff-add').count()).toBe(2);
    await shot('06-merge-request');
    await page.getByRole('button', { name: 'Merge' }).click();
    await expect.poll(() => page.getByTestId('mr-status').textContent()).toBe('merged');
    await shot('07-merge-request-merged');
    const blob = await api<{ content: string }>(
      'GET',
      '/api/v1/repos/blob?repo=/projects/demo&path=lib/hello.ts',
    );
    expect(blob.content).toContain('hello ${name}');
  });

  it('closes a merge request from the page', async () => {
    const clone = join(temp.path, 'demo-clone-2');
    await git(['clone', '-q', `${server.url}/projects/demo.git`, clone], { env: authEnv() });
    await writeFiles(clone, { 'NOTES.md': 'an idea nobody wants\n' });
    await git(['add', 'NOTES.md'], { cwd: clone });
    await git(['commit', '-q', '-m', 'Add notes'], { cwd: clone });
    const pushed = await git(['push', 'origin', 'HEAD:main'], { cwd: clone, env: authEnv(), check: false });
    const number = /merge request !(\d+)/.exec(pushed.stderr)?.[1];
    expect(number, pushed.stderr).toBeDefined();
    const { page } = session;
    await page.goto(`/ui/merge-requests/${number}/changes`);
    const added = page.getByTestId('file-diff').filter({ hasText: 'NOTES.md' });
    await expect.poll(() => added.locator('.status-added').count()).toBe(1);
    await page.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => page.getByTestId('mr-status').textContent()).toBe('closed');
    await page.goto('/ui/merge-requests?status=closed');
    await expect
      .poll(() => page.getByRole('link', { name: new RegExp(`!${number} Add notes`) }).count())
      .toBe(1);
  });

  it('shows the history of a file and a commit with its diff', async () => {
    const { page } = session;
    await page.goto('/ui/repo/projects/demo/-/blob/HEAD/lib/hello.ts');
    await page.getByRole('link', { name: 'History' }).click();
    await page.waitForURL('**/-/commits/HEAD/lib/hello.ts');
    const commits = page.locator('.commit-list li');
    await expect.poll(() => commits.count()).toBeGreaterThan(0);
    await shot('08-file-history');
    await commits.first().locator('a.commit-title').click();
    await page.waitForURL('**/-/commit/**');
    const fileDiff = page.getByTestId('file-diff').filter({ hasText: 'lib/hello.ts' });
    await expect.poll(() => fileDiff.count()).toBe(1);
    expect(await fileDiff.locator('.diff-add .line-code').allTextContents()).toContain(
      '+  return `hello ${name}`;',
    );
    await shot('09-commit');
  });

  it('watches a manual sync run appear on the dashboard', async () => {
    await pushNewRepository('upstream', '/import/upstream', {
      'main.go': 'package main\n\nfunc main() {}\n',
    });
    const upstreamHead = await gitText(['rev-parse', 'HEAD'], { cwd: join(temp.path, 'upstream') });
    const tenant = await api<{ id: number }>('POST', '/api/v1/sync/tenants', { name: 'e2e' });
    await api('POST', `/api/v1/sync/tenants/${tenant.id}/repositories`, {
      name: 'upstream',
      url: `${server.url}/import/upstream.git`,
      branch: 'main',
      isPublic: true,
    });
    const { page } = session;
    await page.goto('/ui/sync');
    const row = page.getByRole('row').filter({ hasText: '/import/upstream.git' });
    await expect.poll(() => row.locator('.sync-never').count()).toBe(1);
    await row.getByRole('button', { name: 'Sync now' }).click();
    const log = page.getByTestId('sync-log');
    const finished = log.locator('.sync-success, .sync-failed');
    // The dashboard follows runs live (server-sent events): no reload, no Refresh button.
    await expect.poll(() => finished.count(), { timeout: 60_000, interval: 500 }).toBeGreaterThan(0);
    await shot('10-sync-dashboard');
    // A failed run shows its error class and message in the row; put them in the failure message.
    const runRow = log.locator('tbody tr').first();
    expect(await runRow.locator('.badge').textContent(), (await runRow.textContent()) ?? '').toBe('success');
    expect(await log.textContent()).toContain(upstreamHead.slice(0, 8));
    await expect.poll(() => row.locator('.sync-success').count()).toBe(1);
    expect(await page.getByTestId('chart-success').locator('rect.bar').count()).toBeGreaterThan(0);
  });

  it('is usable by keyboard', async () => {
    const { page } = session;
    await page.goto('/ui/');
    // React renders after the load event; wait for the app before typing.
    await page.waitForSelector('table.listing');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('g');
    await page.keyboard.press('m');
    await page.waitForURL('**/ui/merge-requests');
    await page.keyboard.press('g');
    await page.keyboard.press('s');
    await page.waitForURL('**/ui/sync');
    await page.goto('/api/docs');
    expect(await page.locator('h1').textContent()).toContain('Mega REST API');
    await shot('11-api-docs');
  });
});
