import { invalid, tooLarge } from '../../platform/errors.js';
import { parseObjectId, type ObjectId } from '../object-id.js';
import type { PktLine } from '../pkt-line.js';
import { pktText } from '../pkt-line.js';
import { parseCapabilities, type Capabilities } from './capabilities.js';
import { parseFilterSpec, type ObjectFilter } from './filter-spec.js';

/**
 * What a client asks upload-pack for, in either protocol version (pack-protocol.txt
 * "Packfile Negotiation", protocol-v2.txt "fetch"). v0 options come from the first want's
 * capability list, v2 options from argument lines; both end up here.
 */
export interface FetchRequest {
  readonly wants: ObjectId[];
  readonly haves: ObjectId[];
  /** Commits the client has as shallow boundaries. */
  readonly shallows: ObjectId[];
  depth: number;
  deepenSince: number;
  readonly deepenNot: string[];
  deepenRelative: boolean;
  filter?: ObjectFilter;
  /** The client has no more haves: send the pack now. */
  done: boolean;
  /** v0 only: the request ended right after the want section (shallow info only). */
  wantsOnly: boolean;
  thinPack: boolean;
  ofsDelta: boolean;
  noProgress: boolean;
  includeTag: boolean;
  sideband: 'none' | 'side-band' | 'side-band-64k';
  multiAck: 'none' | 'multi_ack' | 'multi_ack_detailed';
  noDone: boolean;
  waitForDone: boolean;
}

/** Bounds on a negotiation request (hostile clients). */
export const MAX_WANTS = 100_000;
export const MAX_HAVES = 200_000;
export const MAX_SHALLOWS = 100_000;
export const MAX_DEEPEN_NOT = 1_000;
/** `deepen` of git's INFINITE_DEPTH (used by `--unshallow`). */
export const INFINITE_DEPTH = 0x7fffffff;

export function emptyFetchRequest(): FetchRequest {
  return {
    wants: [],
    haves: [],
    shallows: [],
    depth: 0,
    deepenSince: 0,
    deepenNot: [],
    deepenRelative: false,
    done: false,
    wantsOnly: false,
    thinPack: false,
    ofsDelta: false,
    noProgress: false,
    includeTag: false,
    sideband: 'none',
    multiAck: 'none',
    noDone: false,
    waitForDone: false,
  };
}

function pushBounded(list: ObjectId[], id: ObjectId, limit: number, what: string): void {
  if (list.length >= limit) throw tooLarge('negotiation_too_large', `too many ${what} lines`, { limit });
  list.push(id);
}

/**
 * Applies one shallow/deepen/filter/want/have line shared by both protocol versions.
 * Returns false when the line is none of them.
 */
export function applyCommonLine(request: FetchRequest, line: string): boolean {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  const arg = space < 0 ? '' : line.slice(space + 1);
  switch (word) {
    case 'want':
      pushBounded(request.wants, parseObjectId(arg.slice(0, 40)), MAX_WANTS, 'want');
      return true;
    case 'have':
      pushBounded(request.haves, parseObjectId(arg), MAX_HAVES, 'have');
      return true;
    case 'shallow':
      pushBounded(request.shallows, parseObjectId(arg), MAX_SHALLOWS, 'shallow');
      return true;
    case 'deepen': {
      if (!/^\d{1,10}$/.test(arg) || Number(arg) <= 0 || Number(arg) > INFINITE_DEPTH) {
        throw invalid('deepen_invalid', `invalid deepen: ${arg.slice(0, 32)}`);
      }
      request.depth = Number(arg);
      return true;
    }
    case 'deepen-since':
      if (!/^\d{1,15}$/.test(arg))
        throw invalid('deepen_invalid', `invalid deepen-since: ${arg.slice(0, 32)}`);
      request.deepenSince = Number(arg);
      return true;
    case 'deepen-not':
      if (arg === '' || request.deepenNot.length >= MAX_DEEPEN_NOT) {
        throw invalid('deepen_invalid', 'invalid deepen-not');
      }
      request.deepenNot.push(arg);
      return true;
    case 'filter':
      request.filter = parseFilterSpec(arg);
      return true;
    default:
      return false;
  }
}

/** Applies v0 capabilities requested on the first want line. */
export function applyV0Capabilities(request: FetchRequest, caps: Capabilities): void {
  request.thinPack = caps.has('thin-pack');
  request.ofsDelta = caps.has('ofs-delta');
  request.noProgress = caps.has('no-progress');
  request.includeTag = caps.has('include-tag');
  request.deepenRelative = caps.has('deepen-relative');
  request.noDone = caps.has('no-done');
  request.sideband = caps.has('side-band-64k')
    ? 'side-band-64k'
    : caps.has('side-band')
      ? 'side-band'
      : 'none';
  request.multiAck = caps.has('multi_ack_detailed')
    ? 'multi_ack_detailed'
    : caps.has('multi_ack')
      ? 'multi_ack'
      : 'none';
}

/**
 * Parses a whole protocol v0/v1 upload-pack request of smart HTTP (stateless): the want section
 * up to a flush, then one round of `have` lines ending in a flush or `done`.
 */
export async function parseV0FetchRequest(read: () => Promise<PktLine | undefined>): Promise<FetchRequest> {
  const request = await parseV0WantSection(read);
  if (request === undefined)
    throw invalid('fetch_request_truncated', 'request ended before the want list was complete');
  const end = await parseV0HaveRound(read, request);
  if (end === 'end') request.wantsOnly = request.haves.length === 0;
  return request;
}

/**
 * The want section of a v0/v1 request: wants (capabilities on the first), shallows, deepen and
 * filter lines up to a flush. Undefined when the input ends before any packet (an SSH client
 * that hung up); a section cut off after that is `fetch_request_truncated`.
 */
export async function parseV0WantSection(
  read: () => Promise<PktLine | undefined>,
): Promise<FetchRequest | undefined> {
  const request = emptyFetchRequest();
  let first = true;
  let any = false;
  for (;;) {
    const packet = await read();
    if (packet === undefined) {
      if (!any) return undefined;
      throw invalid('fetch_request_truncated', 'request ended before the want list was complete');
    }
    any = true;
    if (packet.kind === 'flush') break;
    const line = requireText(packet);
    if (first && line.startsWith('want ')) {
      applyV0Capabilities(request, parseCapabilities(line.slice('want '.length + 40).trim()));
      first = false;
    }
    if (line.startsWith('have ') || !applyCommonLine(request, line)) {
      throw invalid(
        'fetch_request_invalid',
        `expected a want, shallow or deepen line, got '${line.slice(0, 64)}'`,
      );
    }
  }
  refuseMixedDeepen(request);
  return request;
}

/**
 * One round of `have` lines, appended to `request.haves`: ends at a flush (`'flush'`), at `done`
 * (`'done'`, also setting `request.done`) or at the end of the input (`'end'`).
 */
export async function parseV0HaveRound(
  read: () => Promise<PktLine | undefined>,
  request: FetchRequest,
): Promise<'flush' | 'done' | 'end'> {
  for (;;) {
    const packet = await read();
    if (packet === undefined) return 'end';
    if (packet.kind === 'flush') return 'flush';
    const line = requireText(packet);
    if (line === 'done') {
      request.done = true;
      return 'done';
    }
    if (!line.startsWith('have ') || !applyCommonLine(request, line)) {
      throw invalid('fetch_request_invalid', `expected a have line or done, got '${line.slice(0, 64)}'`);
    }
  }
}

/** Parses the argument lines of a protocol v2 `fetch` command. */
export function parseV2FetchArgs(args: readonly string[]): FetchRequest {
  const request = emptyFetchRequest();
  request.sideband = 'side-band-64k';
  request.multiAck = 'multi_ack_detailed';
  for (const line of args) {
    switch (line) {
      case 'thin-pack':
        request.thinPack = true;
        continue;
      case 'ofs-delta':
        request.ofsDelta = true;
        continue;
      case 'no-progress':
        request.noProgress = true;
        continue;
      case 'include-tag':
        request.includeTag = true;
        continue;
      case 'done':
        request.done = true;
        continue;
      case 'wait-for-done':
        request.waitForDone = true;
        continue;
      case 'deepen-relative':
        request.deepenRelative = true;
        continue;
    }
    if (!applyCommonLine(request, line)) {
      throw invalid('fetch_request_invalid', `unexpected line: '${line.slice(0, 64)}'`);
    }
  }
  refuseMixedDeepen(request);
  return request;
}

/** upload-pack refuses a depth together with a date or ref boundary (git's own rule). */
function refuseMixedDeepen(request: FetchRequest): void {
  if (request.depth > 0 && (request.deepenSince > 0 || request.deepenNot.length > 0)) {
    throw invalid('deepen_invalid', 'deepen and deepen-since (or deepen-not) cannot be used together');
  }
}

function requireText(packet: PktLine): string {
  const text = pktText(packet);
  if (text === undefined) throw invalid('fetch_request_invalid', `unexpected ${packet.kind} packet`);
  return text;
}
