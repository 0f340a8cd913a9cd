/**
 * Heading anchors as GitHub makes them, so links written for GitHub (`#getting-started`) work
 * here: lower case, punctuation dropped (letters, digits, `_` and `-` of any script stay), each
 * space a `-`; a repeated heading gets `-1`, `-2`, … in document order.
 */
export function headingSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Hands out unique slugs for the headings of one document. */
export class Slugger {
  private readonly seen = new Map<string, number>();

  slug(text: string): string {
    const base = headingSlug(text);
    let candidate = base;
    for (let count = this.seen.get(base) ?? 0; this.seen.has(candidate); count += 1) {
      candidate = `${base}-${count + 1}`;
      this.seen.set(base, count + 1);
    }
    this.seen.set(candidate, this.seen.get(candidate) ?? 0);
    return candidate;
  }
}

/** Prefix of every id the rendered document sets, so no id can clobber a name of the page. */
export const ID_PREFIX = 'user-content-';
