import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLfsUser } from '../support/git-lfs-client.js';
import { gradientPng } from './support/images.js';
import { git } from '../support/git-cli.js';
import { runMega, startMegaServer, type MegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';
import { withAccessRules } from './support/access-rules.js';
import { browserAvailable, launchBrowser, type BrowserSession } from './support/browser.js';

/**
 * Reading code in the web UI (issue 21) against a real `mega serve`: a README rendered as
 * GitHub-flavoured Markdown, `.md` pages with Preview/Source, line deep links, image previews and
 * an LFS file pushed by the real git-lfs client, whose Download serves the real bytes. Fails on
 * console errors, horizontal overflow and axe-core violations; screenshots at 1366×900 and 390×844.
 */
const REPO = '/projects/site';
const TREE = '/ui/repo/projects/site/-/tree/HEAD';
const BLOB = '/ui/repo/projects/site/-/blob/HEAD';
const LFS_BYTES = 300 * 1024;
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const README = `# Site

A small site for the reading-code walkthrough. See [the guide](docs/guide.md) and [usage](#usage).

![Logo](img/logo.png)

| Feature | State |
|:--------|------:|
| tables  | done  |
| images  | done  |

- [x] render Markdown
- [ ] conquer the world

~~old~~ new, and https://example.org autolinked.

\`\`\`ts
const re = /"[^"]*"/g;
const nested = \`a \${cond ? \`b \${x}\` : 'c'} d\`;
\`\`\`

<script>window.__pwned = 1</script>
<a href="javascript:window.__pwned=1">not a link</a>

## Usage

Open a file and click its line numbers.
`;

const GUIDE = `# Guide

Back to the [README](../README.md). ![diagram](../img/diagram.svg)

## Steps

1. one
2. two
`;

const APP = Array.from({ length: 40 }, (_, index) =>
  index === 4
    ? 'const pattern = /"[^"]*"|\\/\\//g;'
    : index === 5
      ? 'const label = `x ${flag ? `y ${z}` : "w"} v`;'
      : `export const value${index + 1} = ${index + 1}; // line ${index + 1}`,
).join('\n');

const DIAGRAM =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">' +
  '<rect width="120" height="60" rx="8" fill="#0969da"/><circle cx="30" cy="30" r="18" fill="#fff"/>' +
  '<script>alert(1)</script></svg>\n';

describe.runIf(browserAvailable())('reading code in the web UI', { timeout: 300_000 }, () => {
  let temp: { path: string; remove: () => Promise<void> };
  let server: MegaServer;
  let session: BrowserSession;
  let token: string;
  let lfsSha: string;
  const consoleErrors: string[] = [];

  const shot = async (name: string, page: Page = session.page) => {
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(viewport);
      // Nothing may be wider than the screen: wide tables and code scroll inside their box.
      const overflow = await page.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect({ page: name, size, overflow }).toEqual({ page: name, size, overflow: 0 });
      await session.screenshot(`reading-${name}-${size}`, page);
    }
    await page.setViewportSize(DESKTOP);
  };

  /** The decoded width of an image, 0 until it has loaded. */
  const naturalWidth = (image: Locator) =>
    image.evaluate((element) => {
      const loaded = element as unknown as { complete: boolean; naturalWidth: number };
      return loaded.complete ? loaded.naturalWidth : 0;
    });

  const axeViolations = async (page: Page) => {
    // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses inline scripts.
    await page.evaluate(await readFile(AXE, 'utf8'));
    const result = (await page.evaluate(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))",
    )) as string[];
    return result;
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-e2e-reading-');
    const dataDir = join(temp.path, 'data');
    server = await startMegaServer({ dataDir });
    const created = await runMega(['token', 'create', 'admin', '--admin', '--data', dataDir]);
    expect(created.code, created.stderr).toBe(0);
    token = created.stdout.trim().split('\n').pop() ?? '';
    // The real git-lfs client, with the token from a credential helper (never a URL).
    const env = await configureLfsUser(temp.path, 'admin', token);
    const dir = join(temp.path, 'site');
    await git(['init', '-q', '-b', 'main', dir], { env });
    await git(['lfs', 'install', '--local'], { cwd: dir, env });
    await git(['lfs', 'track', '*.bin'], { cwd: dir, env });
    const files: Record<string, string | Buffer> = {
      'README.md': README,
      'docs/guide.md': GUIDE,
      'src/app.js': `${APP}\n`,
      'img/logo.png': gradientPng(),
      'img/diagram.svg': DIAGRAM,
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const lfsContent = randomBytes(LFS_BYTES);
    lfsSha = createHash('sha256').update(lfsContent).digest('hex');
    await mkdir(join(dir, 'assets'), { recursive: true });
    await writeFile(join(dir, 'assets/model.bin'), lfsContent);
    await git(['add', '-A'], { cwd: dir, env });
    await git(['commit', '-q', '-m', 'site: first version'], { cwd: dir, env });
    await git(['push', '-q', `${server.url}${REPO}.git`, 'main'], { cwd: dir, env });
    session = await launchBrowser(server.url);
    session.page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    session.page.on('response', (response) => {
      if (response.status() >= 400) consoleErrors.push(`${response.status()} ${response.url()}`);
    });
    await session.page.setViewportSize(DESKTOP);
    // Signed in: repository images then travel with the token (fetched, shown as data: URLs).
    await session.page.goto('/ui/sign-in');
    await session.page.evaluate(`sessionStorage.setItem('mega.token', ${JSON.stringify(token)})`);
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
    await temp?.remove();
  });

  it('renders the README as GitHub-flavoured Markdown, sanitised', async () => {
    const { page } = session;
    await page.goto(TREE);
    const readme = page.locator('.readme .markdown-body');
    await readme.locator('table').waitFor();
    expect(await readme.locator('th').allTextContents()).toEqual(['Feature', 'State']);
    expect(await readme.locator('input[type=checkbox]').count()).toBe(2);
    expect(await readme.locator('input[type=checkbox]:checked:disabled').count()).toBe(1);
    expect(await readme.locator('del').textContent()).toBe('old');
    expect(await readme.getByRole('link', { name: 'https://example.org' }).getAttribute('href')).toBe(
      'https://example.org',
    );
    await readme.locator('pre code .hljs-regexp').first().waitFor();
    expect(await readme.locator('pre code .hljs-regexp').first().textContent()).toBe('/"[^"]*"/g');
    expect(await readme.getByRole('link', { name: 'the guide' }).getAttribute('href')).toBe(
      `${BLOB}/docs/guide.md`,
    );
    // The image comes from the raw endpoint with the token, decoded for real.
    const logo = readme.getByRole('img', { name: 'Logo' });
    await expect.poll(() => naturalWidth(logo)).toBe(48);
    // The script and the javascript: link are gone; nothing ran.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await readme.locator('script').count()).toBe(0);
    expect(await readme.getByText('not a link').getAttribute('href')).toBeNull();
    // Heading anchors: GitHub's slugs, and #usage scrolls to the heading.
    await readme.getByRole('link', { name: 'usage', exact: true }).click();
    expect(new URL(page.url()).hash).toBe('#usage');
    expect(await page.locator('#user-content-usage').isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await shot('readme');
  });

  it('opens a relative link as a Markdown page with Preview and Source', async () => {
    const { page } = session;
    await page.goto(TREE);
    await page.locator('.readme').getByRole('link', { name: 'the guide' }).click();
    await page.waitForURL(`**${BLOB}/docs/guide.md`);
    const body = page.locator('.markdown-body');
    await body.locator('.md-h1').waitFor();
    expect(await page.getByRole('button', { name: 'Preview' }).getAttribute('aria-pressed')).toBe('true');
    expect(await body.getByRole('link', { name: 'README' }).getAttribute('href')).toBe(`${BLOB}/README.md`);
    const diagram = body.getByRole('img', { name: 'diagram' });
    await expect.poll(() => naturalWidth(diagram)).toBe(120);
    await shot('markdown-page');
    await page.getByRole('button', { name: 'Source' }).click();
    expect(await page.locator('#L1 .line-code').textContent()).toBe('# Guide');
  });

  it('scrolls to and marks a line range from #L5-L7; clicks and shift-clicks set the hash', async () => {
    const { page } = session;
    await page.goto(`${BLOB}/src/app.js#L5-L7`);
    await page.locator('tr.selected-line').first().waitFor();
    expect(await page.locator('tr.selected-line').evaluateAll((rows) => rows.map((row) => row.id))).toEqual([
      'L5',
      'L6',
      'L7',
    ]);
    expect(await page.locator('#L5').isVisible()).toBe(true);
    // Highlighting is grammar-based: the regex literal and the nested template are right.
    await page.locator('#L5 .hljs-regexp').waitFor();
    expect(await page.locator('#L5 .hljs-regexp').textContent()).toBe('/"[^"]*"|\\/\\//g');
    expect(await page.locator('#L6 .hljs-string').allTextContents()).toEqual(
      expect.arrayContaining(['`x ', ' v`']),
    );
    await shot('file-lines');
    await page.getByRole('link', { name: 'Line 20', exact: true }).click();
    expect(new URL(page.url()).hash).toBe('#L20');
    await page.getByRole('link', { name: 'Line 23', exact: true }).click({ modifiers: ['Shift'] });
    expect(new URL(page.url()).hash).toBe('#L20-L23');
    expect(await page.locator('tr.selected-line').count()).toBe(4);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('previews images, SVG only as an <img>', async () => {
    const { page } = session;
    await page.goto(`${BLOB}/img/logo.png`);
    const png = page.locator('.image-preview img');
    await expect.poll(() => naturalWidth(png)).toBe(48);
    await shot('image');
    await page.goto(`${BLOB}/img/diagram.svg`);
    const svg = page.locator('.image-preview img');
    await expect.poll(() => naturalWidth(svg)).toBe(120);
    expect(await page.locator('main svg rect').count()).toBe(0);
  });

  it('shows an LFS file with its real size and downloads the real content', async () => {
    const { page } = session;
    await page.goto(`${BLOB}/assets/model.bin`);
    await page.locator('.badge.lfs').waitFor();
    expect(await page.locator('.lfs-file').textContent()).toContain('300 KiB');
    expect(await page.locator('.file-toolbar').textContent()).toContain('300 KiB');
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    const download = page.getByRole('link', { name: 'Download' });
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    const saved = join(temp.path, 'downloaded.bin');
    await file.saveAs(saved);
    const bytes = await readFile(saved);
    expect(bytes.length).toBe(LFS_BYTES);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(lfsSha);
    expect(file.suggestedFilename()).toBe('model.bin');
    const raw = await page.request.get(
      (await page.getByRole('link', { name: 'Raw' }).getAttribute('href')) ?? '',
    );
    expect(raw.headers()['content-length']).toBe(String(LFS_BYTES));
    await shot('lfs');
  });

  it('keeps a repository page with a highlighted README under 150 KB transferred', async () => {
    // A fresh browser context: nothing cached, signed out (anonymous read). Counted: every
    // response's headers and (compressed) body.
    const context = await session.browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    const sizes: Array<Promise<number>> = [];
    page.on('requestfinished', (request) =>
      sizes.push(request.sizes().then((size) => size.responseBodySize + size.responseHeadersSize)),
    );
    await page.goto(TREE);
    await page.locator('.readme pre code .hljs-regexp').first().waitFor();
    const total = (await Promise.all(sizes)).reduce((sum, size) => sum + size, 0);
    process.stdout.write(`first page with a README, transferred: ${(total / 1024).toFixed(1)} KB\n`);
    expect(total).toBeLessThan(150 * 1024);
    await context.close();
  });

  it('in a private repository, images and downloads travel with the token', async () => {
    await withAccessRules(join(temp.path, 'data'), async (access) => {
      await access.setPathSetting(REPO, { visibility: 'private' });
    });
    const { page } = session;
    const anonymous = await fetch(`${server.url}/api/v1/repos/raw?repo=${REPO}&path=img/logo.png`);
    expect([401, 404]).toContain(anonymous.status);
    await page.goto(TREE);
    const logo = page.locator('.readme').getByRole('img', { name: 'Logo' });
    await expect.poll(() => naturalWidth(logo)).toBe(48);
    expect(await logo.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await page.goto(`${BLOB}/assets/model.bin`);
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download' }).click(),
    ]);
    const saved = join(temp.path, 'downloaded-private.bin');
    await file.saveAs(saved);
    expect(
      createHash('sha256')
        .update(await readFile(saved))
        .digest('hex'),
    ).toBe(lfsSha);
    expect(file.suggestedFilename()).toBe('model.bin');
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
