import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';

/**
 * Reading code in the web UI (issue 21): blame, branches and tags with a filter, compare, the
 * ref picker over 300 branches, tree columns and the clone box, at desktop and phone sizes, with
 * no console errors, no horizontal overflow and no axe violations in the page's content; and a
 * repository URL opened in a browser landing on its page while `git clone` of it still works.
 */
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const REPO = '/import/browse';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.runIf(browserAvailable())('reading code in the web UI', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  const consoleErrors: string[] = [];
  let time = 1700000000;

  const commit = async (dir: string, message: string) => {
    time += 60;
    const env = { GIT_AUTHOR_DATE: `${time} +0000`, GIT_COMMITTER_DATE: `${time} +0000` };
    await git(['-C', dir, 'add', '-A']);
    await git(['-C', dir, 'commit', '-q', '-m', message], { env });
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-browse-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    const token = (await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir])).stdout.trim();
    const src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await mkdir(join(src, 'src'), { recursive: true });
    await writeFile(join(src, 'README.md'), '# browse\n');
    await writeFile(join(src, 'src/app.txt'), 'alpha\nbeta\ngamma\n');
    await commit(src, 'first version of the app');
    await writeFile(join(src, 'src/app.txt'), 'alpha\nbeta changed\ngamma\ndelta\n');
    await commit(src, 'change beta, add delta');
    await git(['-C', src, 'checkout', '-q', '-b', 'feature']);
    await writeFile(join(src, 'src/feature.txt'), 'new feature\n');
    await commit(src, 'add the feature');
    await git(['-C', src, 'checkout', '-q', 'main']);
    await writeFile(join(src, 'README.md'), '# browse\n\nmore\n');
    await commit(src, 'longer readme');
    for (let n = 0; n < 300; n++)
      await git(['-C', src, 'branch', `b-${String(n).padStart(3, '0')}`, 'main~1']);
    await git(['-C', src, 'tag', '-a', '-m', 'first release', 'v1.0', 'main~1'], {
      env: { GIT_COMMITTER_DATE: `${time} +0000` },
    });
    await git(['-C', src, 'push', '-q', `${server.url}${REPO}`, 'refs/heads/*:refs/heads/*', 'refs/tags/*'], {
      env: authEnv(token),
    });
    session = await launchBrowser(server.url);
    session.page.on('console', (message) => {
      // The browser's own favicon probe is not the page's doing (the UI declares no icon).
      const url = message.location().url;
      if (message.type() === 'error' && !url.endsWith('/favicon.ico'))
        consoleErrors.push(`${message.text()} (${url})`);
    });
  });
  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  async function check(page: Page, name: string) {
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect({ name, overflow }).toEqual({ name, overflow: 0 });
    // Evaluated rather than injected as a <script>: the UI's CSP refuses inline scripts.
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
    const violations = (await page.evaluate(
      "window.axe.run(document.getElementById('main')).then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))",
    )) as string[];
    expect({ name, violations }).toEqual({ name, violations: [] });
    await session.screenshot(`browse-${name}`);
    expect(consoleErrors).toEqual([]);
  }

  for (const viewport of VIEWPORTS) {
    describe(`at ${viewport.width}×${viewport.height}`, () => {
      beforeAll(async () => session.page.setViewportSize(viewport));

      it('shows the tree with last commits, sizes and the clone box', async () => {
        const { page } = session;
        await page.goto(`/ui/repo${REPO}/-/tree/main`);
        await page.getByTestId('clone-command').waitFor();
        expect(await page.getByTestId('clone-command').textContent()).toContain(`${REPO}.git`);
        const table = page.getByTestId('tree-table');
        // The last commit's subject is left out on a phone; its time stays.
        await table.locator('td.entry-time time').first().waitFor();
        const text = await table.textContent();
        expect(text).toContain('15 B');
        expect(text).toContain('longer readme');
        await check(page, `tree-${viewport.name}`);
      });

      it('blames a file, linked from its page', async () => {
        const { page } = session;
        await page.goto(`/ui/repo${REPO}/-/blob/main/src/app.txt`);
        await page.getByRole('link', { name: 'Blame' }).click();
        await page.waitForURL(`**/-/blame/main/src/app.txt`);
        const blame = page.getByTestId('blame');
        await blame.waitFor();
        const cells = await blame.locator('td.blame-commit a').allTextContents();
        expect(cells).toEqual([
          'first version of the app',
          'change beta, add delta',
          'first version of the app',
          'change beta, add delta',
        ]);
        await check(page, `blame-${viewport.name}`);
      });

      it('filters branches and shows ahead/behind; lists tags', async () => {
        const { page } = session;
        await page.goto(`/ui/repo${REPO}/-/branches`);
        await page.getByTestId('branch-list').waitFor();
        await page.getByTestId('ref-filter').fill('feat');
        await page.waitForURL('**/branches?q=feat');
        const list = page.getByTestId('branch-list');
        await expect.poll(() => list.locator('li').count()).toBe(1);
        expect(await list.getByTestId('ahead-behind').textContent()).toBe('1 behind · 1 ahead');
        await check(page, `branches-${viewport.name}`);
        await page.getByRole('link', { name: 'Tags' }).click();
        await page.getByTestId('tag-list').waitFor();
        expect(await page.getByTestId('tag-list').textContent()).toContain('first release');
        await check(page, `tags-${viewport.name}`);
      });

      it('compares two branches: commits and diff', async () => {
        const { page } = session;
        await page.goto(`/ui/repo${REPO}/-/compare/main...feature`);
        await page.getByTestId('compare-commits').waitFor();
        expect(await page.getByTestId('compare-commits').textContent()).toContain('add the feature');
        await page.getByTestId('file-diff').first().waitFor();
        // Diffed from the merge base: main's later README change is not part of it.
        expect(await page.getByTestId('file-diff').allTextContents()).toHaveLength(1);
        await check(page, `compare-${viewport.name}`);
      });

      it('picks one of 300 branches with the keyboard', async () => {
        const { page } = session;
        await page.goto(`/ui/repo${REPO}/-/tree/main`);
        await page.getByTestId('ref-picker').click();
        const filter = page.getByRole('combobox', { name: 'Filter branches and tags' });
        await filter.waitFor();
        expect(await page.getByRole('option').count()).toBe(100);
        await filter.fill('b-29');
        await expect.poll(() => page.getByRole('option').count()).toBe(10);
        await filter.press('ArrowDown');
        await filter.press('Enter');
        await page.waitForURL(`**/-/tree/b-291`);
        await page.getByTestId('tree-table').getByRole('link', { name: 'README.md' }).waitFor();
        await page.getByTestId('ref-picker').click();
        await page.getByRole('combobox').press('Escape');
        expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('ref-picker');
        await check(page, `ref-picker-${viewport.name}`);
      });
    });
  }

  it('opens a repository URL in a browser and still clones it', async () => {
    const response = await fetch(`${server.url}${REPO}`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/ui/dir${REPO}`);
    const { page } = session;
    await page.goto(REPO);
    await page.waitForURL(`**/ui/dir${REPO}`);
    await page.getByTestId('clone-command').waitFor();
    const clone = join(temp.path, 'clone');
    await git(['clone', '-q', `${server.url}${REPO}`, clone]);
    expect(await gitText(['-C', clone, 'log', '-1', '--format=%s'])).toBe('longer readme');
  });
});
