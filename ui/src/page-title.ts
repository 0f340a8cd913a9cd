import { useEffect } from 'react';

/** The browser tab's title: the page's own words first, then the product. */
export function pageTitle(...parts: ReadonlyArray<string | undefined>): string {
  return [...parts.filter((part): part is string => Boolean(part)), 'Mega'].join(' · ');
}

/**
 * Sets `document.title` while the page shows. The app sets a title per route first (in a layout
 * effect); a page calling this refines it once it knows more (a file name, a commit title).
 */
export function usePageTitle(...parts: ReadonlyArray<string | undefined>): void {
  const title = pageTitle(...parts);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
