import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { withAccessRules } from './support/access-rules.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';

const REPO = '/projects/team/secret';
const REPO_PAGE = '/ui/repo/projects/team/secret/-/tree/HEAD';

/** Tokens, the Access panel and groups in the web UI, checked against the REST API. */
describe.runIf(browserAvailable())('access management in the web UI', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let adminToken: string;
  let bobToken: string;

  const tokenOf = async (user: string, ...flags: string[]) => {
    const created = await runMega(['token', 'create', user, ...flags, '--data', join(temp.path, 'data')]);
    expect(created.code, created.stderr).toBe(0);
    return created.stdout.trim();
  };
  const signIn = async (token: string) => {
    await session.page.goto('/ui/sign-in');
    await session.page.evaluate(`sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`);
  };
  /** Status of a GET with a token: 200, or the refusal. */
  const statusOf = async (token: string, path: string) =>
    (await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-access-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    adminToken = await tokenOf('admin', '--admin');
    bobToken = await tokenOf('bob');
    const src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await writeFile(join(src, 'README.md'), '# secret\n');
    await git(['-C', src, 'add', '-A']);
    await git(['-C', src, 'commit', '-q', '-m', 'first']);
    await git(['-C', src, 'push', '-q', `${server.url}${REPO}`, 'main'], { env: authEnv(adminToken) });
    await withAccessRules(dataDir, async (access) => {
      await access.setPathSetting('/projects/team', { visibility: 'private' });
    });
    session = await launchBrowser(server.url);
  });
  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('creates a read-only token, lists it and revokes it', async () => {
    const { page } = session;
    await signIn(adminToken);
    await page.goto('/ui/tokens');
    await page.getByLabel('Token name').fill('ci-read');
    await page.getByRole('checkbox', { name: 'write' }).uncheck();
    await page.getByLabel('Expires in days').fill('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const created = (await page.getByTestId('new-token').textContent()) ?? '';
    expect(await megaApi(server.url, created)('GET', '/api/v1/user')).toMatchObject({
      username: 'admin',
      scopes: ['read'],
    });
    const row = page.getByTestId('token-row').filter({ hasText: 'ci-read' });
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('read');
    const { items: tokens } = await megaApi(server.url, adminToken)<{
      items: Array<{ name: string; expiresAt: string }>;
    }>('GET', '/api/v1/user/tokens');
    const expiresAt = tokens.find((token) => token.name === 'ci-read')?.expiresAt;
    expect(await row.locator('td').nth(4).locator('time').getAttribute('datetime')).toBe(expiresAt);
    await session.screenshot('tokens-page');

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke ci-read' }).click();
    await expect
      .poll(() => page.getByTestId('token-revoked').textContent())
      .toBe('Revoked the token "ci-read".');
    await expect.poll(() => row.count()).toBe(0);
    expect(await statusOf(created, '/api/v1/user')).toBe(401);
  });

  it('grants bob read on a private repository from its Access panel', async () => {
    const { page } = session;
    expect(await statusOf(bobToken, `/api/v1/repos/refs?repo=${REPO}`)).toBe(404);
    await signIn(adminToken);
    await page.goto(REPO_PAGE);
    await page.locator('details.access-panel > summary').click();
    await expect
      .poll(() => page.getByTestId('effective-visibility').textContent())
      .toBe('Effective: private');
    const form = page.getByRole('form', { name: 'Add a grant' });
    await form.getByLabel('Name').fill('bob');
    await form.getByLabel('Role').selectOption('read');
    await form.getByRole('button', { name: 'Add grant' }).click();
    await expect
      .poll(() => page.getByTestId('grants-message').textContent())
      .toBe(`bob now has read on ${REPO}.`);
    await page.getByLabel('Branch pattern').fill('release/*');
    await page.getByRole('button', { name: 'Protect' }).click();
    await expect.poll(() => page.getByTestId('protected-message').textContent()).toBe('Protected release/*.');
    await session.screenshot('access-panel');

    const api = megaApi(server.url, adminToken);
    const { items: grants } = await api<{ items: unknown[] }>('GET', `/api/v1/access/grants?path=${REPO}`);
    // The creator of a repository becomes its maintainer; bob's grant is the one the panel added.
    expect(grants).toEqual([
      expect.objectContaining({ path: REPO, user: 'admin', role: 'maintain' }),
      expect.objectContaining({ path: REPO, user: 'bob', role: 'read' }),
    ]);
    expect(await api('GET', `/api/v1/access/protected-branches?repo=${REPO}`)).toEqual({
      repo: REPO,
      items: ['release/*'],
    });
    expect(await statusOf(bobToken, `/api/v1/repos/refs?repo=${REPO}`)).toBe(200);
  });

  it("offers a directory's Access panel with its own visibility", async () => {
    const { page } = session;
    await signIn(adminToken);
    await page.goto('/ui/dir/projects/team');
    await page.locator('details.access-panel > summary').click();
    expect(await page.getByLabel('Visibility').inputValue()).toBe('private');
    expect(await page.getByTestId('effective-visibility').textContent()).toBe('Effective: private');
    expect(await page.getByText('Protected branches').count()).toBe(0);
    await page.getByLabel('Self-merge').selectOption('allow');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.getByTestId('path-settings-message').textContent()).toBe('Settings saved.');
    expect(await page.getByTestId('effective-self-merge').textContent()).toBe('Effective: allowed');
    expect(await megaApi(server.url, adminToken)('GET', '/api/v1/access/paths?path=/projects/team')).toEqual({
      path: '/projects/team',
      visibility: 'private',
      selfMerge: true,
      effective: { visibility: 'private', selfMerge: true },
    });
  });

  it('shows no Access panel to a reader without admin on the path', async () => {
    const { page } = session;
    await signIn(bobToken);
    const probe = page.waitForResponse((response) => response.url().includes('/api/v1/access/paths'));
    await page.goto(REPO_PAGE);
    expect((await probe).status()).toBe(403);
    await page.getByRole('link', { name: 'README.md' }).waitFor();
    expect(await page.locator('details.access-panel').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Groups' }).count()).toBe(0);
  });

  it("changes and removes bob's grant from the Access panel", async () => {
    const { page } = session;
    await signIn(adminToken);
    await page.goto(REPO_PAGE);
    await page.locator('details.access-panel > summary').click();
    await page.getByLabel(`Role of bob on ${REPO}`).selectOption('write');
    await expect
      .poll(() => page.getByTestId('grants-message').textContent())
      .toBe(`bob now has write on ${REPO}.`);
    const grantsOfBob = async () =>
      (
        await megaApi(server.url, adminToken)<{ items: Array<{ user?: string; role: string }> }>(
          'GET',
          `/api/v1/access/grants?path=${REPO}`,
        )
      ).items.filter((grant) => grant.user === 'bob');
    expect(await grantsOfBob()).toEqual([expect.objectContaining({ role: 'write' })]);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Remove the grant of bob on ${REPO}` }).click();
    await expect
      .poll(() => page.getByTestId('grants-message').textContent())
      .toBe(`Removed the grant of bob on ${REPO}.`);
    expect(await grantsOfBob()).toEqual([]);
  });

  it('lets a site administrator create a group and add a member', async () => {
    const { page } = session;
    await signIn(adminToken);
    await page.goto('/ui/groups');
    await page.getByLabel('Group name').fill('devs');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByLabel('Add user to devs').fill('bob');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect.poll(() => page.getByTestId('groups-message').textContent()).toBe('Added bob to devs.');
    expect(await megaApi(server.url, adminToken)('GET', '/api/v1/groups')).toEqual({
      items: [{ name: 'devs', members: ['bob'] }],
    });

    await page.getByRole('button', { name: 'Remove bob from devs' }).click();
    await expect.poll(() => page.getByTestId('groups-message').textContent()).toBe('Removed bob from devs.');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete group' }).click();
    await expect.poll(() => page.getByTestId('groups-message').textContent()).toBe('Deleted the group devs.');
    expect(await megaApi(server.url, adminToken)('GET', '/api/v1/groups')).toEqual({ items: [] });
  });
});
