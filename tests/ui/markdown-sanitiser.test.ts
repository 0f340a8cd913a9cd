import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/browser.js';

/**
 * The UI's Markdown renderer (`ui/src/markdown/render-markdown.ts`: marked + DOMPurify) run in
 * Debian's Chromium, where DOMPurify runs for real. The page has NO content security policy: the
 * sanitiser alone must stop every payload (the UI's CSP is a second wall, not the first).
 */
const ENTRY = fileURLToPath(new URL('../../ui/src/markdown/render-markdown.ts', import.meta.url));

async function bundleRenderer(): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry: ENTRY, formats: ['iife'], name: 'MegaMarkdown', fileName: 'markdown' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((output) => output.output).find((file) => file.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('no bundle');
  return chunk.code;
}

let browser: Browser;
let page: Page;

/**
 * In-page helpers (plain JavaScript: this project's Node type-check has no DOM library).
 * `renderForTest` renders `source` as the file `docs/guide.md` of /projects/app into the page;
 * `hazards` lists what must never be found in rendered Markdown, whatever the input.
 */
const HARNESS = `
window.renderForTest = async (source, headingShift) => {
  const fragment = await window.MegaMarkdown.renderMarkdown(source, {
    filePath: 'docs/guide.md',
    headingShift,
    pageUrl: (target) =>
      '/ui/repo/projects/app/-/' + (target.directory ? 'tree' : 'blob') + '/main/' + target.path + target.fragment,
    rawUrl: (path) => '/api/v1/repos/raw?repo=/projects/app&ref=c0ffee&path=' + path,
  });
  const host = document.createElement('div');
  host.className = 'host';
  host.append(fragment);
  document.body.replaceChildren(host);
  // Give any handler that slipped through its chance to run: two frames.
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return host.innerHTML;
};
window.hazards = () => {
  const found = [];
  const host = document.querySelector('.host');
  if (!host) return ['no output'];
  const banned =
    'script, iframe, frame, object, embed, form, style, svg, math, base, meta, link, template, ' +
    'noscript, button, textarea, select, video, audio, source, picture, input:not([type=checkbox])';
  for (const element of host.querySelectorAll(banned)) found.push('<' + element.tagName.toLowerCase() + '>');
  for (const element of host.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (/^on/i.test(attribute.name) || ['style', 'srcset', 'formaction', 'action'].includes(attribute.name))
        found.push(element.tagName.toLowerCase() + '[' + attribute.name + ']');
      if (['id', 'name'].includes(attribute.name) && !attribute.value.startsWith('user-content-'))
        found.push(attribute.name + '=' + attribute.value);
    }
  }
  for (const link of host.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href');
    if (!/^(\\/ui\\/|#|https?:|mailto:)/.test(href)) found.push('a[href=' + href + ']');
  }
  for (const image of host.querySelectorAll('img')) {
    const src = image.getAttribute('src') ?? image.getAttribute('data-raw-src') ?? '';
    if (src && !/^(\\/api\\/v1\\/repos\\/raw\\?|data:image\\/(png|jpe?g|gif|webp);)/.test(src))
      found.push('img[src=' + src + ']');
  }
  if (window.__pwned !== undefined) found.push('script ran');
  return found;
};
`;

const render = (source: string, headingShift = 0): Promise<string> =>
  page.evaluate(`renderForTest(${JSON.stringify(source)}, ${headingShift})`);
const hazards = (): Promise<string[]> => page.evaluate('hazards()');

const PWN = 'window.__pwned=1';
const PAYLOADS: ReadonlyArray<readonly [string, string]> = [
  ['img onerror', `<img src=x onerror="${PWN}">`],
  ['javascript: link (HTML)', `<a href="javascript:${PWN}">x</a>`],
  ['javascript: link (Markdown)', `[x](javascript:${PWN})`],
  ['javascript: autolink', `<javascript:${PWN}>`],
  ['entity-encoded scheme', `<a href="jav&#x09;ascript&colon;${PWN}">x</a>`],
  ['upper-case scheme with spaces', `<a href="  JaVaScRiPt:${PWN}">x</a>`],
  ['vbscript', `<a href="vbscript:msgbox(1)">x</a>`],
  ['data: HTML link', '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
  ['data: SVG image', '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'],
  ['svg script', `<svg><script>${PWN}</script></svg>`],
  ['svg onload', `<svg onload="${PWN}"><circle r="5"/></svg>`],
  ['svg xlink', `<svg><a xlink:href="javascript:${PWN}"><text>x</text></a></svg>`],
  ['iframe', `<iframe src="javascript:${PWN}"></iframe>`],
  ['iframe srcdoc', `<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>`],
  ['object and embed', `<object data="javascript:${PWN}"></object><embed src="javascript:${PWN}">`],
  ['math mglyph style (mXSS)', `<math><mtext><table><mglyph><style><img src=x onerror="${PWN}">`],
  ['math href', `<math href="javascript:${PWN}"><mi>x</mi></math>`],
  ['noscript (mXSS)', `<noscript><p title="</noscript><img src=x onerror=${PWN}>"></noscript>`],
  ['template', `<template><script>${PWN}</script></template>`],
  ['form', `<form action="javascript:${PWN}"><button formaction="javascript:${PWN}">go</button></form>`],
  ['autofocus input', `<input onfocus="${PWN}" autofocus>`],
  ['details ontoggle', `<details open ontoggle="${PWN}"><summary>s</summary></details>`],
  ['style element', '<style>body { display: none }</style>'],
  ['style attribute', '<p style="position:fixed;inset:0">cover</p>'],
  ['base', '<base href="https://evil.example/">'],
  ['meta refresh', `<meta http-equiv="refresh" content="0;url=javascript:${PWN}">`],
  ['link stylesheet', '<link rel="stylesheet" href="https://evil.example/x.css">'],
  ['clobbering ids', '<div id="location">a</div><img name="cookie" src="a.png"><form name="x"></form>'],
  ['srcset', '<img src="a.png" srcset="https://evil.example/x.png 2x">'],
  ['video poster', '<video poster="https://evil.example/x.png" src="a.mp4"></video>'],
  ['code fence with HTML', '```html\n<script>window.__pwned=1</script>\n```'],
  ['raw HTML in a table cell', `| a |\n|---|\n| <img src=x onerror="${PWN}"> |`],
];

describe.runIf(browserAvailable())('Markdown rendering and sanitising (in Chromium)', () => {
  beforeAll(async () => {
    const bundle = await bundleRenderer();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body></body></html>');
    await page.addScriptTag({ content: bundle });
    await page.addScriptTag({ content: HARNESS });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('the hazard check itself sees an unsanitised payload', async () => {
    await page.evaluate(`document.body.innerHTML = '<div class="host"><img src="x" style="x">' +
      '<a href="javascript:void 0">x</a><div id="location"></div></div>'`);
    expect(await hazards()).toEqual(['img[style]', 'id=location', 'a[href=javascript:void 0]', 'img[src=x]']);
  });

  it.each(PAYLOADS)('neutralises %s', async (_name, payload) => {
    await render(payload);
    expect(await hazards()).toEqual([]);
  });

  it('renders GitHub-flavoured Markdown: tables, task lists, strikethrough, autolinks', async () => {
    const html = await render(
      [
        '| Name | Kind |',
        '|:-----|-----:|',
        '| a | b |',
        '',
        '- [x] done',
        '- [ ] to do',
        '',
        '~~gone~~ and www.example.com and https://example.org/x',
      ].join('\n'),
    );
    // A wide table scrolls in its own box, which the keyboard can reach (tabindex).
    expect(html).toMatch(/<div class="table-scroll" tabindex="0"[^>]*><table>/);
    expect(html).toMatch(/<th align="left">Name<\/th>/);
    const boxes = await page.$$eval('.host input', (inputs) =>
      inputs.map((input) => ({
        type: input.getAttribute('type'),
        checked: input.matches(':checked'),
        disabled: input.matches(':disabled'),
      })),
    );
    expect(boxes).toEqual([
      { type: 'checkbox', checked: true, disabled: true },
      { type: 'checkbox', checked: false, disabled: true },
    ]);
    expect(html).toContain('<del>gone</del>');
    expect(html).toContain('href="http://www.example.com"');
    expect(html).toContain('href="https://example.org/x"');
    expect(await hazards()).toEqual([]);
  });

  it('resolves relative links to UI pages and images to the raw endpoint at the commit', async () => {
    await render(
      [
        '[intro](intro.md#setup) [src](../src/) [root](/LICENSE) [web](https://example.org) [top](#usage)',
        '',
        '![logo](img/logo.png) ![badge](https://img.example/badge.svg)',
        '',
        '<a href="../README.md"><img src="/assets/a.png" alt="a"></a>',
      ].join('\n'),
    );
    const links = await page.$$eval('.host a', (anchors) =>
      anchors.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]),
    );
    expect(links).toEqual([
      ['intro', '/ui/repo/projects/app/-/blob/main/docs/intro.md#setup', null],
      ['src', '/ui/repo/projects/app/-/tree/main/src', null],
      ['root', '/ui/repo/projects/app/-/blob/main/LICENSE', null],
      ['web', 'https://example.org', 'nofollow noopener noreferrer'],
      ['top', '#usage', null],
      ['badge', 'https://img.example/badge.svg', 'nofollow noopener noreferrer'],
      ['', '/ui/repo/projects/app/-/blob/main/README.md', null],
    ]);
    const images = await page.$$eval('.host img', (list) =>
      list.map((image) => [image.getAttribute('data-raw-src'), image.getAttribute('src')]),
    );
    expect(images).toEqual([
      ['/api/v1/repos/raw?repo=/projects/app&ref=c0ffee&path=docs/img/logo.png', null],
      ['/api/v1/repos/raw?repo=/projects/app&ref=c0ffee&path=assets/a.png', null],
    ]);
  });

  it('gives headings GitHub anchors (prefixed ids) and can lower their level', async () => {
    await render('# Getting Started\n\n## Usage\n\n## Usage\n', 2);
    const headings = await page.$$eval('.host :is(h1,h2,h3,h4,h5,h6)', (list) =>
      list.map((h) => [
        h.tagName,
        h.id,
        h.className,
        h.querySelector('a.heading-anchor')?.getAttribute('href'),
      ]),
    );
    expect(headings).toEqual([
      ['H3', 'user-content-getting-started', 'md-h1', '#getting-started'],
      ['H4', 'user-content-usage', 'md-h2', '#usage'],
      ['H4', 'user-content-usage-1', 'md-h2', '#usage-1'],
    ]);
  });

  it('highlights fenced code with its language and leaves unknown languages plain', async () => {
    await render('```ts\nconst re = /a\\/b/g;\n```\n\n```nosuchlang\n<b>x</b>\n```\n');
    const blocks = await page.$$eval('.host pre code', (list) =>
      list.map((code) => ({
        text: code.textContent,
        spans: [...code.querySelectorAll('span')].map((s) => s.className),
      })),
    );
    expect(blocks[0]?.text).toBe('const re = /a\\/b/g;');
    expect(blocks[0]?.spans).toEqual(expect.arrayContaining(['hljs-keyword', 'hljs-regexp']));
    expect(blocks[1]).toEqual({ text: '<b>x</b>\n', spans: [] });
  });
});
