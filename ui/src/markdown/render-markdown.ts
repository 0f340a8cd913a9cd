import DOMPurify, { type Config } from 'dompurify';
import { Marked } from 'marked';
import { grammarForFence } from '../highlight/grammars.js';
import { highlightLines } from '../highlight/highlighter.js';
import { resolveRepoTarget, type RepoTarget } from './links.js';
import { ID_PREFIX, Slugger } from './slug.js';

/** Where a Markdown file lives, and how to turn its repository paths into URLs. */
export interface MarkdownContext {
  /** The file's path inside its repository ('' for text not in a file: paths are from the root). */
  readonly filePath: string;
  /** URL of the UI page of a repository path (a file or, with `directory`, a folder). */
  readonly pageUrl: (target: RepoTarget) => string;
  /** URL of the raw bytes of a repository path (images), at the commit shown. */
  readonly rawUrl: (path: string) => string;
  /** Levels to lower every heading by (a README under the page's own headings); 0 by default. */
  readonly headingShift?: number;
}

const markdown = new Marked({ gfm: true, breaks: false, async: false });

/**
 * Everything a repository's Markdown may not do on our pages: no script (tags, handlers,
 * `javascript:` URLs), nothing that loads or submits elsewhere (frames, objects, forms, media,
 * `srcset`), no `<style>` or `style=` that could restyle the page around it, no SVG or MathML
 * (their parsing differs from HTML's, the usual road to mutation XSS), no `id`/`name` that could
 * clobber a name of the page (they get the `user-content-` prefix).
 */
const POLICY: Config & { RETURN_DOM_FRAGMENT: true } = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    'style',
    'form',
    'iframe',
    'frame',
    'frameset',
    'object',
    'embed',
    'applet',
    'base',
    'link',
    'meta',
    'button',
    'textarea',
    'select',
    'option',
    'video',
    'audio',
    'source',
    'track',
    'picture',
    'dialog',
    'template',
    'noscript',
    'portal',
  ],
  FORBID_ATTR: [
    'style',
    'srcset',
    'formaction',
    'action',
    'target',
    'ping',
    'background',
    'poster',
    'autofocus',
  ],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: true,
  SANITIZE_DOM: true,
  SANITIZE_NAMED_PROPS: true,
  // Only web and mail links; relative paths are resolved into the repository afterwards.
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|[^a-z]|[a-z0-9+.-]+(?:[^a-z0-9+.\-:]|$))/i,
  RETURN_DOM_FRAGMENT: true,
};

let purifier: ReturnType<typeof DOMPurify> | undefined;

/** A DOMPurify instance of our own (its hooks never touch another user of the library). */
function sanitizer(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const instance = DOMPurify(window);
  instance.addHook('uponSanitizeElement', (node, data) => {
    // Task-list boxes are the only input Markdown makes; they are shown, never edited.
    if (data.tagName === 'input' && node instanceof HTMLInputElement && node.type !== 'checkbox')
      node.remove();
  });
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node instanceof HTMLInputElement) node.setAttribute('disabled', '');
    // Images are only ever repository files, same-origin URLs or inline data images.
    if (node instanceof HTMLImageElement && /^data:/i.test(node.getAttribute('src') ?? '')) {
      if (!/^data:image\/(png|jpe?g|gif|webp|avif);/i.test(node.getAttribute('src') ?? ''))
        node.removeAttribute('src');
    }
  });
  purifier = instance;
  return instance;
}

/** Markdown → a sanitised fragment, with links, images, anchors and code blocks resolved. */
export async function renderMarkdown(source: string, context: MarkdownContext): Promise<DocumentFragment> {
  const html = markdown.parse(source, { async: false });
  const fragment = sanitizer().sanitize(html, POLICY);
  resolveLinks(fragment, context);
  resolveImages(fragment, context);
  anchorHeadings(fragment, context.headingShift ?? 0);
  wrapTables(fragment);
  focusableScrollers(fragment);
  labelTaskBoxes(fragment);
  await highlightCodeBlocks(fragment);
  return fragment;
}

function resolveLinks(root: DocumentFragment, context: MarkdownContext): void {
  for (const link of root.querySelectorAll<HTMLAnchorElement>('a[href]')) {
    const href = link.getAttribute('href') ?? '';
    if (href.startsWith('#')) continue;
    const target = resolveRepoTarget(context.filePath, href);
    if (target) link.setAttribute('href', context.pageUrl(target));
    else if (/^https?:|^\/\//i.test(href)) link.setAttribute('rel', 'nofollow noopener noreferrer');
  }
}

/**
 * Repository images come from the raw endpoint at the shown commit. Images elsewhere are not
 * fetched (the page's CSP allows only this origin, and fetching them would tell a third party
 * who reads the file): each becomes a link to it.
 */
function resolveImages(root: DocumentFragment, context: MarkdownContext): void {
  for (const image of root.querySelectorAll('img')) {
    const src = image.getAttribute('src') ?? '';
    const target = src && !src.startsWith('#') ? resolveRepoTarget(context.filePath, src) : undefined;
    if (target) {
      // Not `src` yet: the view loads it (with the token when signed in) once it owns the node.
      image.removeAttribute('src');
      image.setAttribute('data-raw-src', context.rawUrl(target.path));
    } else if (!/^data:image\//i.test(src)) {
      const label = image.getAttribute('alt') || src || 'image';
      const replacement =
        image.closest('a') || !/^https?:\/\//i.test(src)
          ? document.createElement('span')
          : document.createElement('a');
      replacement.className = 'external-image';
      replacement.textContent = label;
      if (replacement instanceof HTMLAnchorElement) {
        replacement.href = src;
        replacement.rel = 'nofollow noopener noreferrer';
        replacement.title = `Image at ${src} (not loaded)`;
      }
      image.replaceWith(replacement);
    }
  }
}

function anchorHeadings(root: DocumentFragment, shift: number): void {
  const slugger = new Slugger();
  for (const written of root.querySelectorAll<HTMLElement>('h1, h2, h3, h4, h5, h6')) {
    const level = Number(written.tagName.slice(1));
    const heading = shift > 0 ? document.createElement(`h${Math.min(6, level + shift)}`) : written;
    if (heading !== written) {
      // The outline stays right for assistive technology; the look stays the written level.
      heading.className = `md-h${level}`;
      while (written.firstChild) heading.append(written.firstChild);
      written.replaceWith(heading);
    }
    const text = heading.textContent ?? '';
    const slug = slugger.slug(text);
    heading.id = `${ID_PREFIX}${slug}`;
    const anchor = document.createElement('a');
    anchor.className = 'heading-anchor';
    anchor.href = `#${slug}`;
    anchor.setAttribute('aria-label', `Link to section ${text.trim()}`.trim());
    anchor.textContent = '#';
    heading.prepend(anchor);
  }
}

/** A task-list box is named by its task, for screen readers (it is shown, never edited). */
function labelTaskBoxes(root: DocumentFragment): void {
  for (const box of root.querySelectorAll('li > input[type=checkbox]')) {
    const task = (box.parentElement?.textContent ?? '').trim().slice(0, 200);
    box.setAttribute('aria-label', task || 'Task');
  }
}

/** Wide tables scroll inside the text instead of widening the page (phones). */
function wrapTables(root: DocumentFragment): void {
  for (const table of root.querySelectorAll('table')) {
    const scroller = document.createElement('div');
    scroller.className = 'table-scroll';
    table.replaceWith(scroller);
    scroller.append(table);
  }
}

/**
 * Code blocks and wide tables scroll sideways inside the text; a keyboard user scrolls them only
 * if they can take focus (axe-core's scrollable-region-focusable).
 */
function focusableScrollers(root: DocumentFragment): void {
  for (const scroller of root.querySelectorAll('pre, .table-scroll')) scroller.setAttribute('tabindex', '0');
}

async function highlightCodeBlocks(root: DocumentFragment): Promise<void> {
  const blocks = [...root.querySelectorAll<HTMLElement>('pre > code[class*="language-"]')];
  await Promise.all(
    blocks.map(async (code) => {
      const name = /(?:^|\s)language-(\S+)/.exec(code.className)?.[1];
      const grammar = grammarForFence(name);
      if (!grammar) return;
      const text = code.textContent ?? '';
      try {
        const lines = await highlightLines(text.endsWith('\n') ? text.slice(0, -1) : text, grammar);
        // One fragment, not a spread: a long block has more nodes than a call takes arguments.
        const highlighted = document.createDocumentFragment();
        lines.forEach((segments, index) => {
          if (index > 0) highlighted.append('\n');
          for (const segment of segments) {
            if (!segment.className) {
              highlighted.append(segment.text);
              continue;
            }
            const span = document.createElement('span');
            span.className = segment.className;
            span.textContent = segment.text;
            highlighted.append(span);
          }
        });
        code.replaceChildren(highlighted);
        code.classList.add('hljs');
      } catch {
        // A grammar that fails to load leaves the block plain.
      }
    }),
  );
}
