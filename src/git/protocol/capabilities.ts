import { invalid } from '../../platform/errors.js';

/**
 * Capability lists (protocol-capabilities.txt): space-separated `name` or `name=value` words,
 * sent after a NUL on the first ref of a v0 advertisement or the first command/want line.
 */
export type Capabilities = ReadonlyMap<string, string | true>;

/** Longest capability list accepted from a client (a bound for hostile input). */
export const MAX_CAPABILITY_TEXT = 8192;

export function parseCapabilities(text: string): Capabilities {
  if (text.length > MAX_CAPABILITY_TEXT) {
    throw invalid('capabilities_too_long', 'capability list too long', { limit: MAX_CAPABILITY_TEXT });
  }
  const caps = new Map<string, string | true>();
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    if (eq < 0) caps.set(word, true);
    else caps.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return caps;
}

export function formatCapabilities(caps: readonly string[]): string {
  return caps.join(' ');
}

/** Splits `payload` at its first NUL into the line and its capability list. */
export function splitCapabilities(line: string): { line: string; caps: Capabilities } {
  const nul = line.indexOf('\0');
  if (nul < 0) return { line, caps: new Map() };
  return { line: line.slice(0, nul), caps: parseCapabilities(line.slice(nul + 1)) };
}

/** What this server calls itself in `agent=` (protocol-capabilities.txt "agent"). */
export const SERVER_AGENT = 'mega/0.1';

/** Capabilities of upload-pack in protocol v0/v1. */
export const UPLOAD_PACK_V0_CAPABILITIES: readonly string[] = [
  'multi_ack',
  'thin-pack',
  'side-band',
  'side-band-64k',
  'ofs-delta',
  'shallow',
  'deepen-since',
  'deepen-not',
  'deepen-relative',
  'no-progress',
  'include-tag',
  'multi_ack_detailed',
  'no-done',
  'allow-tip-sha1-in-want',
  'allow-reachable-sha1-in-want',
  'filter',
  'object-format=sha1',
  `agent=${SERVER_AGENT}`,
];

/** Capabilities of receive-pack in protocol v0/v1 (push is never v2 in git). */
export const RECEIVE_PACK_CAPABILITIES: readonly string[] = [
  'report-status',
  'report-status-v2',
  'delete-refs',
  'side-band-64k',
  'quiet',
  'atomic',
  'ofs-delta',
  'push-options',
  'object-format=sha1',
  `agent=${SERVER_AGENT}`,
];
