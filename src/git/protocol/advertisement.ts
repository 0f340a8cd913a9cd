import { FLUSH_PKT, encodePktLine } from '../pkt-line.js';
import { formatCapabilities } from './capabilities.js';

/** One line of a v0 ref advertisement; `peeled` adds the `<ref>^{}` line for annotated tags. */
export interface AdvertisedRefLine {
  readonly name: string;
  readonly id: string;
  readonly peeled?: string;
}

export type GitService = 'git-upload-pack' | 'git-receive-pack';

/**
 * The smart HTTP preamble of `info/refs` (http-protocol.txt "Smart Server Response"):
 * `# service=<name>` then a flush, before the advertisement proper.
 */
export function encodeServiceHeader(service: GitService): Buffer {
  return Buffer.concat([encodePktLine(`# service=${service}\n`), FLUSH_PKT]);
}

/**
 * A protocol v0/v1 ref advertisement (pack-protocol.txt "Reference Discovery"): the first line
 * carries the capabilities after a NUL; an empty repository advertises the capabilities on a
 * `capabilities^{}` line with the zero id. HEAD, when present, comes first.
 */
export function encodeRefAdvertisement(
  refs: readonly AdvertisedRefLine[],
  capabilities: readonly string[],
  zeroId: string,
  options: { version1?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [];
  if (options.version1) parts.push(encodePktLine('version 1\n'));
  const caps = formatCapabilities(capabilities);
  if (refs.length === 0) {
    parts.push(encodePktLine(`${zeroId} capabilities^{}\0${caps}\n`));
  }
  refs.forEach((ref, index) => {
    const suffix = index === 0 ? `\0${caps}` : '';
    parts.push(encodePktLine(`${ref.id} ${ref.name}${suffix}\n`));
    if (ref.peeled) parts.push(encodePktLine(`${ref.peeled} ${ref.name}^{}\n`));
  });
  parts.push(FLUSH_PKT);
  return Buffer.concat(parts);
}
