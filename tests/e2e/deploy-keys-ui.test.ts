import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authEnv } from '../http/http-fixture.js';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { megaApi } from './support/mega-api.js';
import { axeViolations, horizontalOverflow } from './support/page-checks.js';

const run = promisify(execFile);

const REPO = '/import/lib';
const REPO_PAGE = '/ui/repo/import/lib/-/tree/HEAD';

interface DeployKey {
  id: number;
  title: string;
  fingerprint: string;
  write: boolean;
  lastUsedAt: string | null;
}

/**
 * Deploy keys in a path's Access panel: added from a pasted key, listed with OpenSSH's
 * fingerprint, used by the real ssh client (so "last used" shows), removed after a confirmation;
 * refusals shown as the server gives them. Checked against the REST API, with axe and at a phone's
 * width.
 */
describe.runIf(browserAvailable())('deploy keys in the web UI', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let adminToken: string;
  let carolToken: string;
  let sshPort = 0;
  let key = '';

  const tokenOf = async (user: string, ...flags: string[]) => {
    const created = await runMega(['token', 'create', user, ...flags, '--data', join(temp.path, 'data')]);
    expect(created.code, created.stderr).toBe(0);
    return created.stdout.trim().split('\n').pop() ?? '';
  };
  const openPanel = async (page: Page, token: string) => {
    await page.goto('/ui/sign-in');
    await page.evaluate(`sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`);
    await page.goto(REPO_PAGE);
    await page.locator('details.access-panel > summary').click();
    await page.getByRole('heading', { name: 'Deploy keys' }).waitFor();
  };
  const deployKeys = () =>
    megaApi(server.url, adminToken)<{ items: DeployKey[] }>('GET', `/api/v1/deploy-keys?path=${REPO}`);
  const fingerprintOf = async (publicKey: string) =>
    (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKey])).stdout.split(' ')[1];
  const checkPage = async (page: Page, name: string) => {
    expect(await axeViolations(page), name).toEqual([]);
    expect((await horizontalOverflow(page)).overflow, name).toBe(0);
    await session.screenshot(`deploy-keys-${name}`);
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-deploy-keys-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir, args: ['--ssh-port', '0'] });
    sshPort = Number(/ssh listening on ssh:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1]);
    adminToken = await tokenOf('admin', '--admin');
    carolToken = await tokenOf('carol', '--scope', 'read,write,admin');
    const src = join(temp.path, 'src');
    await git(['init', '-q', '-b', 'main', src]);
    await writeFile(join(src, 'README.md'), '# lib\n');
    await git(['-C', src, 'add', '-A']);
    await git(['-C', src, 'commit', '-q', '-m', 'first']);
    await git(['-C', src, 'push', '-q', `${server.url}${REPO}`, 'main'], { env: authEnv(adminToken) });
    key = join(temp.path, 'ci-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ci@build', '-f', key]);
    session = await launchBrowser(server.url);
  });
  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('adds a read-write deploy key, which git over SSH then uses', async () => {
    const { page } = session;
    await openPanel(page, adminToken);
    expect(await page.getByText('No deploy keys.').count()).toBe(1);
    const form = page.getByRole('form', { name: 'New deploy key' });
    await form.getByLabel('Deploy public key').fill(await readFile(`${key}.pub`, 'utf8'));
    await form.getByLabel('Deploy key title').fill('ci');
    await form.getByLabel('Allow pushes (write access)').check();
    await form.getByRole('button', { name: 'Add deploy key' }).click();
    await expect
      .poll(() => page.getByTestId('deploy-key-added').textContent())
      .toBe('Added a read-write deploy key.');

    const row = page.getByTestId('deploy-key-row').filter({ hasText: 'ci' });
    const fingerprint = await fingerprintOf(`${key}.pub`);
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await row.locator('td').nth(1).textContent()).toBe('read-write');
    expect(await row.locator('td').nth(2).textContent()).toBe(fingerprint);
    expect(await row.locator('td').nth(4).textContent()).toBe('never');
    expect((await deployKeys()).items).toEqual([
      expect.objectContaining({ title: 'ci', fingerprint, write: true, lastUsedAt: null }),
    ]);

    // The key reads this repository over SSH; the list then says when it was last used.
    const ssh = `ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -i ${key}`;
    const refs = await gitText(['ls-remote', `ssh://git@127.0.0.1:${sshPort}${REPO}.git`], {
      env: { GIT_SSH_COMMAND: ssh },
    });
    expect(refs).toContain('refs/heads/main');
    await page.reload();
    await page.locator('details.access-panel > summary').click();
    await expect.poll(() => row.locator('td').nth(4).textContent()).toBe('just now');
    await checkPage(page, 'desktop');
  });

  it('shows what the server refuses: a malformed key, a key already in use, a lost admin role', async () => {
    const { page } = session;
    await openPanel(page, adminToken);
    const form = page.getByRole('form', { name: 'New deploy key' });
    await form.getByLabel('Deploy public key').fill('ssh-dss AAAAB3NzaC1kc3MAAACBAP== old@dsa');
    await form.getByRole('button', { name: 'Add deploy key' }).click();
    const alert = form.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/^400 .*DSA/);

    await form.getByLabel('Deploy public key').fill(await readFile(`${key}.pub`, 'utf8'));
    await form.getByRole('button', { name: 'Add deploy key' }).click();
    await expect.poll(() => alert.textContent()).toMatch(/^409 ssh_key_exists/);
    expect((await deployKeys()).items).toHaveLength(1);

    // Carol administers the path, opens the panel, and loses her grant before she adds a key.
    const admin = megaApi(server.url, adminToken);
    await admin('PUT', '/api/v1/access/grants', { path: REPO, user: 'carol', role: 'admin' });
    await openPanel(page, carolToken);
    await admin('DELETE', '/api/v1/access/grants', { path: REPO, user: 'carol' });
    const other = join(temp.path, 'other-key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', other]);
    await form.getByLabel('Deploy public key').fill(await readFile(`${other}.pub`, 'utf8'));
    await form.getByRole('button', { name: 'Add deploy key' }).click();
    await expect.poll(() => alert.textContent()).toMatch(/^403 .*admin/);
    expect(await alert.textContent()).toContain('your role or token does not allow this');
    expect((await deployKeys()).items).toHaveLength(1);
  });

  it('removes a deploy key only once confirmed, at a phone width', async () => {
    const { page } = session;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await openPanel(page, adminToken);
      const remove = page.getByRole('button', { name: 'Remove the deploy key ci' });
      await remove.waitFor();
      await checkPage(page, 'phone');

      page.once('dialog', (dialog) => void dialog.dismiss());
      await remove.click();
      expect((await deployKeys()).items).toHaveLength(1);

      page.once('dialog', (dialog) => {
        expect(dialog.message()).toContain('Remove the deploy key "ci"?');
        void dialog.accept();
      });
      await remove.click();
      await expect
        .poll(() => page.getByTestId('deploy-key-removed').textContent())
        .toBe('Removed the deploy key "ci".');
      await expect.poll(() => page.getByText('No deploy keys.').count()).toBe(1);
      expect((await deployKeys()).items).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
