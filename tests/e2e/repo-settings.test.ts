import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';

/** The repository settings of the web UI (admins only): default branch and deletion. */
describe.runIf(browserAvailable())('repository settings in the web UI', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let token: string;
  let src: string;

  const pushSource = (...refs: string[]) =>
    git(['-C', src, 'push', '-q', `${server.url}/import/settings`, ...refs], { env: authEnv(token) });
  const head = async () =>
    (await gitText(['ls-remote', '--symref', `${server.url}/import/settings`, 'HEAD'])).split('\t')[0];

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-settings-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    token = (await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir])).stdout.trim();
    session = await launchBrowser(server.url);
    src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await writeFile(join(src, 'README.md'), '# settings\n');
    await git(['-C', src, 'add', '-A']);
    await git(['-C', src, 'commit', '-q', '-m', 'first']);
    await pushSource('main', 'main:dev');
  });
  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('changes the default branch and deletes the repository', async () => {
    const { page } = session;
    await page.goto('/ui/sign-in');
    await page.evaluate(`sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`);
    await page.goto('/ui/repo/import/settings/-/tree/HEAD');
    await page.locator('details.repo-settings > summary').click();
    await page.getByLabel('Default branch').selectOption('dev');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.getByTestId('repo-settings-message').textContent())
      .toBe('Default branch is now dev.');
    expect(await head()).toBe('ref: refs/heads/dev');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete repository' }).click();
    await page.waitForURL('**/ui/dir');
    expect((await git(['ls-remote', `${server.url}/import/settings`], { check: false })).code).not.toBe(0);
  });

  it('shows no settings to anonymous visitors', async () => {
    const { page } = session;
    await pushSource('main');
    await page.evaluate("sessionStorage.removeItem('mega.token')");
    await page.goto('/ui/repo/import/settings/-/tree/HEAD');
    await page.getByRole('link', { name: 'README.md' }).waitFor();
    expect(await page.locator('details.repo-settings').count()).toBe(0);
  });
});
