import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLfsUser } from '../support/git-lfs-client.js';
import { git, gitText } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { withAccessRules } from './support/access-rules.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';
import { gradientPng } from './support/images.js';
import { megaApi } from './support/mega-api.js';
import { axeViolations, horizontalOverflow, watchConsole } from './support/page-checks.js';

/**
 * The walkthrough of issue 21: every page of the web UI, signed in as an administrator, at a
 * desktop (1366×900) and a phone (390×844) size, each loaded fresh at that size. Every page must
 * show its content with no console error, fit its window (no sideways scrolling of the document)
 * and have no axe-core violation, whole document and every rule. Screenshots of each land in
 * test-artifacts/screenshots/walk-<page>-<size>.png. Functional checks live in the other e2e
 * files; this one is about presentation, so a failure names every broken page at once.
 */
/** Pages of one repository's history (an /import repository keeps its commits, branches and tags). */
const REPO = '/import/site';
const UI_REPO = `/ui/repo${REPO}/-`;
/** The monorepo's view, where a push opens a merge request. */
const PROJECT = '/projects/site';
const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const README = `# Site

A site for the walkthrough. See [the guide](docs/guide.md) and [usage](#usage).

![Logo](img/logo.png)

| Feature | State | Notes |
|:--------|------:|-------|
| tables  | done  | ${'a long cell that has to wrap on a phone '.repeat(3)} |

- [x] render Markdown
- [ ] conquer the world

\`\`\`ts
const re = /"[^"]*"/g;
const nested = \`a \${cond ? \`b \${x}\` : 'c'} d\`;
const aVeryLongLineThatDoesNotFitOnAPhone = [${'"element", '.repeat(20)}];
\`\`\`

## Usage

Open a file and click its line numbers.
`;

const GUIDE = '# Guide\n\nBack to the [README](../README.md).\n\n## Steps\n\n1. one\n2. two\n';

const APP = Array.from({ length: 40 }, (_, index) =>
  index === 4
    ? 'const pattern = /"[^"]*"|\\/\\//g;'
    : index === 5
      ? 'const label = `x ${flag ? `y ${z}` : "w"} v`;'
      : `export const value${index + 1} = ${index + 1}; // line ${index + 1} ${'of a long file '.repeat(index % 7)}`,
).join('\n');

/** One page of the walk: where it is, what shows it is ready, and what to do there first. */
interface Stop {
  readonly name: string;
  readonly path: () => string;
  readonly ready: (page: Page) => Promise<unknown>;
  /** Run before the checks (open a panel, switch a layout); the page is ready by then. */
  readonly act?: (page: Page) => Promise<unknown>;
  /** Visit signed out (the sign-in page as a first-time visitor sees it). */
  readonly signedOut?: boolean;
}

describe.runIf(browserAvailable())('a walk through every page of the web UI', { timeout: 600_000 }, () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let token: string;
  let mergeRequest = '';
  let firstCommit = '';
  let problems: string[] = [];

  const testId = (page: Page, id: string) => page.getByTestId(id).first().waitFor();
  const STOPS: readonly Stop[] = [
    {
      name: 'sign-in',
      path: () => '/ui/sign-in',
      ready: (page) => page.getByLabel('Personal access token').waitFor(),
      signedOut: true,
    },
    {
      name: 'directory-root',
      path: () => '/ui/dir',
      ready: (page) => page.locator('table.listing').first().waitFor(),
    },
    {
      name: 'directory-projects',
      path: () => '/ui/dir/projects',
      ready: (page) => page.getByRole('row').filter({ hasText: 'site' }).first().waitFor(),
    },
    {
      name: 'tree-readme',
      path: () => `${UI_REPO}/tree/main`,
      ready: async (page) => {
        await page.locator('td.entry-time time').first().waitFor();
        await page.locator('.readme .markdown-body pre code .hljs-regexp').first().waitFor();
        await page.locator('.readme img[alt="Logo"][src^="data:"]').waitFor();
      },
    },
    {
      name: 'repo-settings',
      path: () => `${UI_REPO}/tree/main`,
      ready: (page) => page.locator('details.repo-settings > summary').waitFor(),
      act: async (page) => {
        await page.locator('details.repo-settings > summary').click();
        await page.getByLabel('Default branch').waitFor();
      },
    },
    {
      name: 'access-deploy-keys',
      path: () => `${UI_REPO}/tree/main`,
      ready: (page) => page.locator('details.access-panel > summary').waitFor(),
      act: async (page) => {
        await page.locator('details.access-panel > summary').click();
        await testId(page, 'deploy-key-row');
      },
    },
    {
      name: 'file-highlighted',
      path: () => `${UI_REPO}/blob/main/src/app.js#L5-L7`,
      ready: (page) => page.locator('#L5 .hljs-regexp').waitFor(),
    },
    {
      name: 'file-editor',
      path: () => `${UI_REPO}/blob/main/src/app.js`,
      ready: (page) => page.getByRole('button', { name: 'Edit' }).waitFor(),
      act: async (page) => {
        await page.getByRole('button', { name: 'Edit' }).click();
        await page.getByLabel('Commit message').waitFor();
      },
    },
    {
      name: 'markdown-page',
      path: () => `${UI_REPO}/blob/main/docs/guide.md`,
      ready: (page) => page.locator('.markdown-body .md-h1').waitFor(),
    },
    {
      name: 'image',
      path: () => `${UI_REPO}/blob/main/img/logo.png`,
      ready: (page) => page.locator('.image-preview img[src^="data:"]').waitFor(),
    },
    {
      name: 'lfs-file',
      path: () => `${UI_REPO}/blob/main/assets/model.bin`,
      ready: (page) => page.locator('.badge.lfs').waitFor(),
    },
    { name: 'blame', path: () => `${UI_REPO}/blame/main/src/app.js`, ready: (page) => testId(page, 'blame') },
    {
      name: 'history',
      path: () => `${UI_REPO}/commits/main`,
      ready: (page) => page.locator('.commit-list li').first().waitFor(),
    },
    {
      name: 'commit',
      path: () => `${UI_REPO}/commit/${firstCommit}`,
      ready: (page) => testId(page, 'file-diff'),
    },
    { name: 'branches', path: () => `${UI_REPO}/branches`, ready: (page) => testId(page, 'branch-list') },
    { name: 'tags', path: () => `${UI_REPO}/tags`, ready: (page) => testId(page, 'tag-list') },
    {
      name: 'compare',
      path: () => `${UI_REPO}/compare/main...feature`,
      ready: async (page) => {
        await testId(page, 'compare-commits');
        await testId(page, 'file-diff');
      },
    },
    {
      name: 'search',
      path: () => '/ui/search?q=value1',
      ready: (page) => page.locator('.search-file').first().waitFor(),
    },
    {
      name: 'merge-requests',
      path: () => '/ui/merge-requests',
      ready: (page) => testId(page, 'mr-mergeability'),
    },
    {
      name: 'mr-overview-timeline',
      path: () => `/ui/merge-requests/${mergeRequest}`,
      ready: (page) => page.locator('[data-testid="timeline"] li[data-action="commented"]').first().waitFor(),
    },
    {
      name: 'mr-commits',
      path: () => `/ui/merge-requests/${mergeRequest}/commits`,
      ready: (page) => page.getByTestId('mr-commits').locator('li').first().waitFor(),
    },
    {
      name: 'mr-diff-unified',
      path: () => `/ui/merge-requests/${mergeRequest}/changes`,
      ready: (page) => page.getByTestId('file-diff').first().waitFor(),
      act: async (page) => {
        await page.getByRole('button', { name: 'Unified', exact: true }).click();
        await page.locator('table.diff-unified').first().waitFor();
        await testId(page, 'thread');
      },
    },
    {
      name: 'mr-diff-split',
      path: () => `/ui/merge-requests/${mergeRequest}/changes`,
      ready: (page) => page.getByTestId('file-diff').first().waitFor(),
      act: async (page) => {
        await page.getByRole('button', { name: 'Split', exact: true }).click();
        await page.locator('table.diff-split').first().waitFor();
      },
    },
    { name: 'tokens', path: () => '/ui/tokens', ready: (page) => testId(page, 'token-row') },
    { name: 'ssh-keys', path: () => '/ui/ssh-keys', ready: (page) => testId(page, 'ssh-key-row') },
    { name: 'groups', path: () => '/ui/groups', ready: (page) => testId(page, 'group') },
    {
      name: 'sync',
      path: () => '/ui/sync',
      ready: async (page) => {
        await page.getByRole('row').filter({ hasText: '/import/upstream.git' }).waitFor();
        await testId(page, 'live-state');
      },
    },
    { name: 'webhooks', path: () => '/ui/webhooks', ready: (page) => testId(page, 'webhook-row') },
  ];

  /** Pushes `files` as a new commit of `dir` (dates fixed, so screenshots compare across runs). */
  let time = 1_700_000_000;
  let env: Record<string, string> = {};
  const commit = async (dir: string, message: string, files: Record<string, string | Buffer>) => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    time += 3600;
    const dates = { GIT_AUTHOR_DATE: `${time} +0000`, GIT_COMMITTER_DATE: `${time} +0000` };
    await git(['add', '-A'], { cwd: dir, env });
    await git(['commit', '-q', '-m', message], { cwd: dir, env: { ...env, ...dates } });
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-walk-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim().split('\n').pop() ?? '';
    const api = megaApi(server.url, token);

    // /projects/site: a README, a Markdown page, code, images and an LFS file pushed by git-lfs.
    env = await configureLfsUser(temp.path, 'admin', token);
    const dir = join(temp.path, 'site');
    await git(['init', '-q', '-b', 'main', dir], { env });
    await git(['lfs', 'install', '--local'], { cwd: dir, env });
    await git(['lfs', 'track', '*.bin'], { cwd: dir, env });
    // A long unbreakable title and line: the commit page must still fit a phone.
    await commit(dir, `site: first version with ${'a-very-long-title-'.repeat(6)}`, {
      'notes.md': `# Notes\n\n${'a long line of prose that goes on '.repeat(12)}\n${'x'.repeat(300)}\n`,
      'README.md': README,
      'docs/guide.md': GUIDE,
      'src/app.js': `${APP}\n`,
      'img/logo.png': gradientPng(),
      'assets/model.bin': randomBytes(64 * 1024),
    });
    firstCommit = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
    await commit(dir, `explain the guide better, with a ${'long '.repeat(12)}subject`, {
      'docs/guide.md': `${GUIDE}3. three\n`,
    });
    await git(['checkout', '-q', '-b', 'feature'], { cwd: dir, env });
    await commit(dir, 'feature: a new module', { 'src/feature.js': 'export const feature = true;\n' });
    await git(['checkout', '-q', 'main'], { cwd: dir, env });
    await git(['tag', '-a', '-m', 'first release', 'v1.0', 'main~1'], { cwd: dir, env });
    await git(['push', '-q', `${server.url}${REPO}.git`, 'main', 'feature', 'v1.0'], { cwd: dir, env });
    await git(['push', '-q', `${server.url}${PROJECT}.git`, 'main'], { cwd: dir, env });

    // A merge request opened by a push to /projects: two commits, one a line change.
    const clone = join(temp.path, 'site-clone');
    await git(['clone', '-q', `${server.url}${PROJECT}.git`, clone], { env });
    await commit(clone, 'Fix the second value', {
      'src/app.js': `${APP.replace('value2 = 2;', 'value2 = 22;')}\n`,
    });
    await commit(clone, 'Add a contributing guide', { 'CONTRIBUTING.md': '# Contributing\n\nBe kind.\n' });
    const pushed = await git(['push', 'origin', 'HEAD:main'], { cwd: clone, env, check: false });
    mergeRequest = /merge request !(\d+)/.exec(pushed.stderr)?.[1] ?? '';
    expect(mergeRequest, pushed.stderr).not.toBe('');
    await api('POST', `/api/v1/merge-requests/${mergeRequest}/discussions`, { body: 'Looks good overall.' });
    await api('POST', `/api/v1/merge-requests/${mergeRequest}/discussions`, {
      body: 'Why 22?',
      position: { repoPath: PROJECT, path: 'src/app.js', side: 'new', line: 2 },
    });

    // A group, a sync repository and a webhook, so their pages list something.
    await withAccessRules(dataDir, async (access) => {
      await access.setPathSetting('/projects', { selfMerge: true });
    });
    await api('POST', '/api/v1/groups', { name: 'reviewers' });
    const tenant = await api<{ id: number }>('POST', '/api/v1/sync/tenants', { name: 'walk' });
    await api('POST', `/api/v1/sync/tenants/${tenant.id}/repositories`, {
      name: 'upstream',
      url: `${server.url}/import/upstream.git`,
      branch: 'main',
      isPublic: true,
    });
    await api('POST', '/api/v1/webhooks', {
      path: '/projects',
      url: 'https://ci.example/hooks/mega',
      secret: 'walkthrough-secret',
      events: ['push'],
    });
    await api('POST', '/api/v1/user/tokens', { name: 'walk-read', scopes: ['read'] });
    await api('POST', '/api/v1/user/keys', { title: 'walk laptop', key: ed25519PublicKey() });
    await api('POST', '/api/v1/deploy-keys', {
      path: REPO,
      title: 'walk ci',
      key: ed25519PublicKey(),
      write: true,
    });

    session = await launchBrowser(server.url);
    problems = watchConsole(session.page);
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  /** Every stop at one size and colour scheme; → what went wrong, page by page. */
  const walk = async (viewport: (typeof VIEWPORTS)[number], scheme: 'light' | 'dark') => {
    const { page } = session;
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: scheme });
    const size = scheme === 'light' ? viewport.name : `${viewport.name}-dark`;
    const failures: string[] = [];
    let signedIn: boolean | undefined;
    for (const stop of STOPS) {
      const where = `${stop.name} (${size})`;
      if (signedIn !== !stop.signedOut) {
        await page.goto('/ui/sign-in');
        await page.evaluate(
          stop.signedOut
            ? 'sessionStorage.clear()'
            : `sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`,
        );
        signedIn = !stop.signedOut;
      }
      problems.length = 0;
      try {
        await page.goto(stop.path());
        await stop.ready(page);
        await stop.act?.(page);
        await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
      } catch (error) {
        failures.push(`${where}: never showed its content (${String(error).split('\n')[0]})`);
        await session.screenshot(`walk-${stop.name}-${size}-FAILED`);
        continue;
      }
      const { h1, title, background } = (await page.evaluate(
        "({ h1: document.querySelectorAll('h1').length, title: document.title, background: getComputedStyle(document.documentElement).backgroundColor })",
      )) as { h1: number; title: string; background: string };
      if (h1 !== 1) failures.push(`${where}: ${h1} h1 elements`);
      if (!/\S · Mega$/.test(title)) failures.push(`${where}: title "${title}"`);
      // Dark mode follows prefers-color-scheme.
      const expected = scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)';
      if (background !== expected) failures.push(`${where}: background ${background}, not ${expected}`);
      const { overflow, wide } = await horizontalOverflow(page);
      if (overflow > 0) failures.push(`${where}: ${overflow}px wider than the window (${wide.join(', ')})`);
      for (const violation of await axeViolations(page)) failures.push(`${where}: ${violation}`);
      for (const problem of problems) failures.push(`${where}: ${problem}`);
      await session.screenshot(`walk-${stop.name}-${size}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    return failures;
  };

  for (const viewport of VIEWPORTS) {
    it(`shows every page at ${viewport.width}×${viewport.height}: no console error, no overflow, no axe violation`, async () => {
      expect(await walk(viewport, 'light')).toEqual([]);
    });
  }

  // Colours are the same at every size: the dark scheme's contrast is checked once, on a desktop.
  it('shows every page in dark mode at 1366×900, with no axe violation (contrast included)', async () => {
    expect(await walk(VIEWPORTS[0], 'dark')).toEqual([]);
  });
});

/** A new Ed25519 public key in OpenSSH's one-line form (the key list needs one to show a row). */
function ed25519PublicKey(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} walk@example`;
}
