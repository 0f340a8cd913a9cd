import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';

/**
 * The merge request list pages with the API's cursors: one more request than a page holds is
 * opened through the commits API, and the list shows a page, then the rest behind "Older", and
 * back. Every API call the page makes must be accepted as sent: the server refuses unknown query
 * parameters, so a 400 here is a UI bug.
 */
const REPO = '/projects/paged';
/** The list page's size (`PAGE_SIZE` in merge-requests-page.tsx, the API's default). */
const PAGE = 30;

describe.runIf(browserAvailable())('the merge request list pages', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let token: string;
  const refused: string[] = [];

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-mr-list-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    token = (await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir])).stdout.trim();
    const src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await writeFile(join(src, 'README.md'), '# paged\n');
    await git(['-C', src, 'add', '-A']);
    await git(['-C', src, 'commit', '-q', '-m', 'first']);
    await git(['-C', src, 'push', '-q', `${server.url}${REPO}.git`, 'main'], { env: authEnv(token) });
    const api = megaApi(server.url, token);
    const { head } = await api<{ head: string }>('GET', `/api/v1/commits/head?path=${REPO}`);
    for (let index = 1; index <= PAGE + 1; index += 1) {
      await api('POST', '/api/v1/commits', {
        path: REPO,
        base: head,
        message: `change ${index}`,
        title: `Change ${index}`,
        actions: [{ action: 'create', filePath: `file-${index}.txt`, content: `${index}\n` }],
      });
    }
    session = await launchBrowser(server.url);
    session.page.on('response', (response) => {
      if (response.url().includes('/api/') && response.status() >= 400)
        refused.push(`${response.status()} ${response.url()}`);
    });
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('shows a page, the rest behind Older, and Newer back', async () => {
    const { page } = session;
    const titles = () => page.locator('ol.mr-list > li .commit-title').allTextContents();
    await page.goto('/ui/merge-requests');
    await page.locator('ol.mr-list').waitFor();
    const first = await titles();
    expect(first).toHaveLength(PAGE);
    expect(first[0]).toContain(`Change ${PAGE + 1}`); // newest first
    await expect.poll(() => page.getByTestId('mr-pager').textContent()).toBe('Older →');

    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    expect(new URL(page.url()).searchParams.get('status')).toBe('open');
    await expect.poll(titles).toEqual([expect.stringContaining('Change 1')]);
    expect(await page.getByTestId('mr-pager').textContent()).toBe('← Newer');

    await page.getByRole('link', { name: '← Newer' }).click();
    await expect.poll(async () => (await titles()).length).toBe(PAGE);
    // Another status starts again at its first page.
    await page.getByRole('link', { name: 'merged' }).click();
    await page.getByText('No merge requests.').waitFor();
    expect(new URL(page.url()).searchParams.get('cursor')).toBeNull();
    expect(refused).toEqual([]);
  });
});
