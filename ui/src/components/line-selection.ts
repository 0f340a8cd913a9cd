/** A range of lines selected through the URL's fragment: `#L5` or `#L10-L20` (1-based, inclusive). */
export interface LineRange {
  readonly first: number;
  readonly last: number;
}

/** `#L10-L20` → {10, 20}; a reversed range is put in order; anything else → undefined. */
export function parseLineHash(hash: string): LineRange | undefined {
  const match = /^#L([1-9]\d{0,8})(?:-L?([1-9]\d{0,8}))?$/.exec(hash);
  if (!match) return undefined;
  const a = Number(match[1]);
  const b = match[2] === undefined ? a : Number(match[2]);
  return { first: Math.min(a, b), last: Math.max(a, b) };
}

export function lineHash(range: LineRange): string {
  return range.first === range.last ? `#L${range.first}` : `#L${range.first}-L${range.last}`;
}

/** A click on line `line`: a plain click selects it, a shift-click extends from the current range. */
export function extendSelection(current: LineRange | undefined, line: number, extend: boolean): LineRange {
  if (!extend || !current) return { first: line, last: line };
  const anchor = line < current.first ? current.last : current.first;
  return { first: Math.min(anchor, line), last: Math.max(anchor, line) };
}
