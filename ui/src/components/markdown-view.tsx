import { useEffect, useRef, useState, type MouseEvent } from 'react';
import type { RepoTarget } from '../markdown/links.js';
import { ID_PREFIX } from '../markdown/slug.js';
import { paths } from '../paths';
import { BASE, navigate } from '../router';
import { rawImageSource } from './raw-image';

/** Where the Markdown comes from: links and images resolve inside this repository. */
export interface MarkdownSource {
  readonly repo: string;
  /** Revision of the pages links open (the one being browsed, e.g. a branch). */
  readonly ref: string;
  /** Commit the images are read at (the one this text was read from). */
  readonly commit: string;
  /** Path of the Markdown file inside the repository. */
  readonly path: string;
  /** Levels to lower headings by (README panels sit under the page's headings). */
  readonly headingShift?: number;
}

/** The UI page of a repository path; the root repository's folders are Mega directory pages. */
function pageUrl(source: MarkdownSource, target: RepoTarget): string {
  const page = target.directory
    ? source.repo === '/'
      ? paths.directory(`/${target.path}`)
      : paths.tree(source.repo, source.ref, target.path)
    : paths.blob(source.repo, source.ref, target.path);
  return `${page}${target.fragment}`;
}

/**
 * GitHub-flavoured Markdown, rendered and sanitised in the browser (`src/markdown/`, loaded on
 * first use so pages without Markdown never fetch it). The sanitised DOM is inserted as nodes —
 * never re-parsed from a string — and its links stay in the app.
 */
export function MarkdownView({ text, source }: { text: string; source: MarkdownSource }) {
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'rendering' | 'ready' | 'failed'>('rendering');
  const { repo, ref, commit, path, headingShift } = source;
  useEffect(() => {
    let cancelled = false;
    setState('rendering');
    const context = {
      filePath: path,
      pageUrl: (target: RepoTarget) => pageUrl({ repo, ref, commit, path }, target),
      rawUrl: (file: string) => paths.raw(repo, commit, file),
      headingShift,
    };
    import('../markdown/render-markdown.js')
      .then((module) => module.renderMarkdown(text, context))
      .then(
        (fragment) => {
          if (cancelled || !container.current) return;
          container.current.replaceChildren(fragment);
          loadImages(container.current);
          setState('ready');
          scrollToFragment(container.current, window.location.hash);
        },
        () => !cancelled && setState('failed'),
      );
    return () => {
      cancelled = true;
    };
  }, [text, repo, ref, commit, path, headingShift]);
  return (
    <>
      {state === 'rendering' && (
        <p className="muted" role="status">
          Rendering…
        </p>
      )}
      {state === 'failed' && <pre className="markdown-fallback">{text}</pre>}
      <div className="markdown-body" ref={container} onClick={followLink} hidden={state !== 'ready'} />
    </>
  );
}

/** Repository images: set `src` now that the element is ours (with the token when signed in). */
function loadImages(root: HTMLElement): void {
  for (const image of root.querySelectorAll<HTMLImageElement>('img[data-raw-src]')) {
    const url = image.dataset.rawSrc ?? '';
    image.removeAttribute('data-raw-src');
    rawImageSource(url).then(
      (src) => (image.src = src),
      () => image.replaceWith(Object.assign(document.createElement('span'), { textContent: image.alt })),
    );
  }
}

/** `#section` → the heading's prefixed id; → true when found (and scrolled to). */
function scrollToFragment(root: HTMLElement, hash: string): boolean {
  if (!hash.startsWith('#') || hash.length < 2) return false;
  let name = hash.slice(1);
  try {
    name = decodeURIComponent(name);
  } catch {
    return false;
  }
  const target = root.ownerDocument.getElementById(`${ID_PREFIX}${name}`);
  if (!target || !root.contains(target)) return false;
  target.scrollIntoView();
  return true;
}

/** In-page anchors scroll to their heading; links to UI pages navigate without a reload. */
function followLink(event: MouseEvent<HTMLDivElement>): void {
  const link = (event.target as Element).closest?.('a');
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = link.getAttribute('href') ?? '';
  if (href.startsWith('#')) {
    if (scrollToFragment(event.currentTarget, href)) {
      event.preventDefault();
      window.history.pushState(window.history.state, '', href);
    }
    return;
  }
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
  event.preventDefault();
  navigate(`${url.pathname}${url.search}${url.hash}`);
  if (!url.hash) window.scrollTo(0, 0);
}
