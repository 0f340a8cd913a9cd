import { invalid, tooLarge } from '../../platform/errors.js';
import { parseObjectId, type ObjectId } from '../object-id.js';
import { DELIM_PKT, FLUSH_PKT, encodePktLine, pktText, type PktLine } from '../pkt-line.js';
import { SERVER_AGENT } from './capabilities.js';

/** Protocol v2 (protocol-v2.txt): capability advertisement and command requests. */

/** The commands this server implements, with the features each advertises. */
export const V2_CAPABILITY_LINES: readonly string[] = [
  'version 2',
  `agent=${SERVER_AGENT}`,
  'ls-refs=unborn',
  'fetch=shallow wait-for-done filter',
  'server-option',
  'object-format=sha1',
  'object-info',
];

export function encodeV2Advertisement(): Buffer {
  return Buffer.concat([...V2_CAPABILITY_LINES.map((line) => encodePktLine(`${line}\n`)), FLUSH_PKT]);
}

export interface V2CommandRequest {
  readonly command: string;
  /** Capability lines after the command (`agent=…`, `object-format=…`, `server-option=…`). */
  readonly capabilities: ReadonlyMap<string, string | true>;
  readonly args: readonly string[];
}

/**
 * Bounds on the lines of one command (a hostile client cannot make us hold more), besides the
 * byte cap of the whole request the reader enforces.
 */
export const MAX_V2_ARGS = 500_000;
export const MAX_V2_CAPABILITY_LINES = 1_000;

/**
 * Reads one command request: `command=<name>`, capability lines, an optional delim and argument
 * lines, then a flush. Returns undefined when the client sent only a flush or nothing (no command).
 */
export async function readV2Command(
  read: () => Promise<PktLine | undefined>,
): Promise<V2CommandRequest | undefined> {
  const first = await read();
  if (first === undefined || first.kind === 'flush') return undefined;
  const firstLine = pktText(first);
  if (firstLine === undefined || !firstLine.startsWith('command=')) {
    throw invalid('v2_command_invalid', 'expected a command=<name> line');
  }
  const command = firstLine.slice('command='.length);
  const capabilities = new Map<string, string | true>();
  const args: string[] = [];
  let inArgs = false;
  for (;;) {
    const packet = await read();
    if (packet === undefined) throw invalid('v2_command_truncated', 'request ended before its flush');
    if (packet.kind === 'flush') break;
    if (packet.kind === 'delim') {
      if (inArgs) throw invalid('v2_command_invalid', 'unexpected second delim packet');
      inArgs = true;
      continue;
    }
    if (packet.kind !== 'data') throw invalid('v2_command_invalid', `unexpected ${packet.kind} packet`);
    const line = pktText(packet) ?? '';
    if (inArgs) {
      if (args.length >= MAX_V2_ARGS) {
        throw tooLarge('v2_command_too_large', 'too many argument lines', { limit: MAX_V2_ARGS });
      }
      args.push(line);
    } else {
      if (capabilities.size >= MAX_V2_CAPABILITY_LINES) {
        throw tooLarge('v2_command_too_large', 'too many capability lines', {
          limit: MAX_V2_CAPABILITY_LINES,
        });
      }
      const eq = line.indexOf('=');
      if (eq < 0) capabilities.set(line, true);
      else capabilities.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  return { command, capabilities, args };
}

export interface LsRefsRequest {
  readonly symrefs: boolean;
  readonly peel: boolean;
  readonly unborn: boolean;
  readonly refPrefixes: readonly string[];
}

/** Most `ref-prefix` lines honoured; past this git itself ignores prefixes and lists all. */
export const MAX_REF_PREFIXES = 65536;

export function parseLsRefsArgs(args: readonly string[]): LsRefsRequest {
  let symrefs = false;
  let peel = false;
  let unborn = false;
  const refPrefixes: string[] = [];
  for (const line of args) {
    if (line === 'symrefs') symrefs = true;
    else if (line === 'peel') peel = true;
    else if (line === 'unborn') unborn = true;
    else if (line.startsWith('ref-prefix ')) refPrefixes.push(line.slice('ref-prefix '.length));
    else throw invalid('ls_refs_invalid', `unexpected line: '${line.slice(0, 64)}'`);
  }
  return { symrefs, peel, unborn, refPrefixes: refPrefixes.length > MAX_REF_PREFIXES ? [] : refPrefixes };
}

export interface LsRefsEntry {
  readonly name: string;
  /** Undefined for an unborn HEAD. */
  readonly id?: string;
  readonly symrefTarget?: string;
  readonly peeled?: string;
}

/** `ls-refs` output (protocol-v2.txt "ls-refs"). */
export function encodeLsRefs(entries: readonly LsRefsEntry[], request: LsRefsRequest): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    let line = `${entry.id ?? 'unborn'} ${entry.name}`;
    if (request.symrefs && entry.symrefTarget) line += ` symref-target:${entry.symrefTarget}`;
    if (request.peel && entry.peeled) line += ` peeled:${entry.peeled}`;
    parts.push(encodePktLine(`${line}\n`));
  }
  parts.push(FLUSH_PKT);
  return Buffer.concat(parts);
}

/** True if `name` passes the request's `ref-prefix` filter. */
export function matchesRefPrefixes(name: string, prefixes: readonly string[]): boolean {
  return prefixes.length === 0 || prefixes.some((prefix) => name.startsWith(prefix));
}

export interface ObjectInfoRequest {
  readonly size: boolean;
  readonly ids: readonly ObjectId[];
}

export function parseObjectInfoArgs(args: readonly string[]): ObjectInfoRequest {
  let size = false;
  const ids: ObjectId[] = [];
  for (const line of args) {
    if (line === 'size') size = true;
    else if (line.startsWith('oid ')) ids.push(parseObjectId(line.slice(4)));
    else throw invalid('object_info_invalid', `unexpected line: '${line.slice(0, 64)}'`);
  }
  return { size, ids };
}

/** `object-info` output: the attribute header, then `<oid> <size>` per object. */
export function encodeObjectInfo(request: ObjectInfoRequest, sizes: ReadonlyMap<string, number>): Buffer {
  const parts: Buffer[] = [];
  if (request.size) {
    parts.push(encodePktLine('size\n'));
    for (const id of request.ids) {
      const size = sizes.get(id);
      parts.push(encodePktLine(size === undefined ? `${id} \n` : `${id} ${size}\n`));
    }
  }
  parts.push(FLUSH_PKT);
  return Buffer.concat(parts);
}

/** A section header line and the delimiter that separates sections of a v2 fetch response. */
export const sectionHeader = (name: string): Buffer => encodePktLine(`${name}\n`);
export const SECTION_DELIMITER = DELIM_PKT;
