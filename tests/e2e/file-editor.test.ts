import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';

/**
 * The web UI's file editor (issue 22) end to end: Edit, New file and Delete commit through the
 * commits API — a merge request under /projects, the branch under /import.
 */
let temp: { path: string; remove: () => Promise<void> };
let server: MegaServer;
let session: BrowserSession;
let token: string;
let api: ReturnType<typeof megaApi>;

async function pushRepository(
  name: string,
  remotePath: string,
  files: Record<string, string>,
): Promise<void> {
  const dir = join(temp.path, name);
  await git(['init', '-q', '-b', 'main', dir]);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '-q', '-m', `${name}: first version`], { cwd: dir });
  await git(['push', '-q', `${server.url}${remotePath}`, 'main'], {
    cwd: dir,
    env: {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
    },
  });
}

describe.runIf(browserAvailable())('file editor in the web UI', () => {
  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-editor-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim();
    api = megaApi(server.url, token);
    await pushRepository('site', '/projects/site', {
      'README.md': '# Site\n',
      'docs/guide.md': 'guide v1\n',
    });
    await pushRepository('tool', '/import/tool', { 'tool.txt': 'tool v1\n', 'old.txt': 'old\n' });
    session = await launchBrowser(server.url);
    const { page } = session;
    await page.goto('/ui/sign-in');
    await page.getByLabel('Personal access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/dir');
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('edits a file under /projects: the change becomes a merge request', async () => {
    const { page } = session;
    await page.goto('/ui/repo/projects/site/-/blob/HEAD/docs/guide.md');
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Content').fill('guide v2\n');
    await page.getByLabel('Commit message').fill('Better guide');
    await page.getByRole('button', { name: 'Commit changes' }).click();
    const outcome = page.getByTestId('commit-outcome');
    await expect.poll(() => outcome.textContent()).toMatch(/Merge request !\d+ opened/);
    const href = await outcome.getByRole('link').getAttribute('href');
    expect(href).toMatch(new RegExp(`^${server.url}/ui/merge-requests/\\d+$`));
    await session.screenshot('editor-01-merge-request');
    const number = Number(href?.split('/').pop());
    const mr = await api<{ title: string; status: string }>('GET', `/api/v1/merge-requests/${number}`);
    expect(mr.status).toBe('open');
  });

  it('adds a file from a tree page and deletes one under /import: the branch moves', async () => {
    const { page } = session;
    await page.goto('/ui/repo/import/tool/-/tree/HEAD');
    await page.getByRole('button', { name: 'New file' }).click();
    await page.getByLabel('File path').fill('notes/new.md');
    await page.getByLabel('Content').fill('new notes\n');
    await page.getByLabel('Commit message').fill('Add notes');
    await page.getByRole('button', { name: 'Commit changes' }).click();
    await expect
      .poll(() => page.getByTestId('commit-outcome').textContent())
      .toMatch(/Committed \w+ to main/);
    const added = await api<{ content: string }>(
      'GET',
      '/api/v1/repos/blob?repo=/import/tool&path=notes/new.md',
    );
    expect(added.content).toBe('new notes\n');

    await page.goto('/ui/repo/import/tool/-/blob/HEAD/old.txt');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete old.txt' }).click();
    await expect
      .poll(() => page.getByTestId('commit-outcome').textContent())
      .toMatch(/Committed \w+ to main/);
    await session.screenshot('editor-02-deleted');
  });

  it('shows why a commit was refused (a stale page)', async () => {
    const { page } = session;
    await page.goto('/ui/repo/import/tool/-/blob/HEAD/tool.txt');
    await page.getByRole('button', { name: 'Edit' }).click();
    // Someone else moves the branch while the editor is open.
    const head = await api<{ head: string }>('GET', '/api/v1/commits/head?path=/import/tool');
    await api('POST', '/api/v1/commits', {
      path: '/import/tool',
      base: head.head,
      message: 'meanwhile',
      actions: [{ action: 'update', filePath: 'tool.txt', content: 'tool v2\n' }],
    });
    await page.getByLabel('Content').fill('tool v3\n');
    await page.getByRole('button', { name: 'Commit changes' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/moved on/);
  });
});
