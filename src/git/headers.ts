import { invalid } from '../platform/errors.js';

/**
 * The header block shared by commits and tags: `key value` lines, a value continued on lines that
 * start with a space (gpgsig, mergetag), then an empty line and the message.
 * Text is decoded as UTF-8 when the bytes round-trip, otherwise as latin1 (`encoding` says which),
 * so serialising gives back the exact bytes either way.
 */
export interface Header {
  readonly name: string;
  readonly value: string;
}

export type TextEncoding = 'utf8' | 'latin1';

export interface HeaderBlock {
  readonly headers: Header[];
  /** Everything after the blank line; `undefined` when the object has no blank line at all. */
  readonly message: string | undefined;
  readonly encoding: TextEncoding;
}

export function decodeText(data: Buffer): { text: string; encoding: TextEncoding } {
  const text = data.toString('utf8');
  if (!text.includes('\uFFFD') || Buffer.from(text).equals(data)) {
    return { text, encoding: 'utf8' };
  }
  return { text: data.toString('latin1'), encoding: 'latin1' };
}

export function parseHeaderBlock(data: Buffer, kind: string): HeaderBlock {
  const { text, encoding } = decodeText(data);
  const headers: { name: string; value: string }[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf('\n', pos);
    if (end < 0) throw invalid('object_bad_header', `${kind} header line is not terminated`);
    if (end === pos) return { headers, message: text.slice(end + 1), encoding };
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.startsWith(' ')) {
      const last = headers[headers.length - 1];
      if (!last) throw invalid('object_bad_header', `${kind} starts with a continuation line`);
      last.value += `\n${line.slice(1)}`;
      continue;
    }
    const space = line.indexOf(' ');
    if (space <= 0)
      throw invalid('object_bad_header', `${kind} header has no value`, { line: line.slice(0, 40) });
    headers.push({ name: line.slice(0, space), value: line.slice(space + 1) });
  }
  return { headers, message: undefined, encoding };
}

export function serializeHeaderBlock(
  headers: readonly Header[],
  message: string | undefined,
  encoding: TextEncoding,
): Buffer {
  let text = '';
  for (const header of headers) text += `${header.name} ${header.value.replaceAll('\n', '\n ')}\n`;
  if (message !== undefined) text += `\n${message}`;
  return Buffer.from(text, encoding);
}
