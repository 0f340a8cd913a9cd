import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, type BrowserSession } from '../e2e/support/browser.js';
import { git } from '../support/git-cli.js';
import { makeRepo } from '../support/git-fixtures.js';
import { startDirectoryServer, type DirectoryServer } from '../monorepo/harness.js';

const AXE = join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');

/** The search page in Chromium: results with the match marked, the header box, phone width, axe. */
describe.runIf(browserAvailable())('code search in the web UI', () => {
  let mega: DirectoryServer;
  let session: BrowserSession;

  beforeAll(async () => {
    mega = await startDirectoryServer();
    const dir = join(mega.work, 'ui-lib');
    await makeRepo(dir, [{ 'src/app.js': 'const server = app.listen(8080);\n// needle in the haystack\n' }]);
    await git(['push', '-q', `${mega.server.url}/import/ui-lib`, 'main'], { ...mega.as.alice, cwd: dir });
    // Indexing follows the push in the background.
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const response = await fetch(`${mega.server.url}/api/v1/search?q=haystack`);
      if (((await response.json()) as { items: unknown[] }).items.length > 0) break;
      await sleep(50);
    }
    session = await launchBrowser(mega.server.url);
  });
  afterAll(async () => {
    await session?.close();
    await mega?.stop();
  });

  it('shows matching lines linked to their line, from the page and from the header box', async () => {
    const { page } = session;
    await page.goto('/ui/search?q=app.listen');
    await expect.poll(() => page.locator('mark').first().textContent()).toBe('app.listen');
    expect(await page.title()).toBe('app.listen · Search · Mega');
    const href = await page.locator('.search-lines a').first().getAttribute('href');
    expect(href).toBe('/ui/repo/import/ui-lib/-/blob/HEAD/src/app.js#L1');
    await page.getByRole('searchbox', { name: 'Search code' }).fill('haystack');
    await page.getByRole('searchbox', { name: 'Search code' }).press('Enter');
    await page.waitForURL('**/ui/search?q=haystack');
    await expect.poll(() => page.locator('mark').first().textContent()).toBe('haystack');
    await session.screenshot('search-desktop');
  });

  it('explains a refused query, fits a phone and passes axe', async () => {
    const { page } = session;
    await page.goto('/ui/search?q=ab');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('search_query_too_short');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/ui/search?q=needle');
    await page.locator('mark').first().waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await session.screenshot('search-phone');
    await page.evaluate(await readFile(AXE, 'utf8'));
    const violations = (await page.evaluate(
      'axe.run().then((r) => r.violations.map((v) => v.id))',
    )) as string[];
    expect(violations).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
