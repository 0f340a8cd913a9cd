import type { ObjectId } from '../object-id.js';
import type { FetchRequest } from './fetch-request.js';

/**
 * The server side of packfile negotiation (pack-protocol.txt "Packfile Negotiation",
 * protocol-capabilities.txt "multi_ack_detailed", "no-done"). Pure: the repository questions are
 * asked through `NegotiationOracle`, the answer is the list of lines to send.
 */
export interface NegotiationOracle {
  /**
   * Told every `have` of a round before `addHave` is asked about them one by one, so a source
   * that reads in bulk answers a round (a client with many tags sends a hundred or more) with a
   * few reads instead of some per have.
   */
  prefetch?(ids: readonly ObjectId[]): Promise<void>;
  /**
   * Records a client `have`. Returns false when we do not have the object; true when we do (it is
   * then common, and the oracle remembers it for `okToGiveUp`).
   */
  addHave(id: ObjectId): Promise<boolean>;
  /** True when every want has a common ancestor (git's `ok_to_give_up`): no more haves needed. */
  okToGiveUp(): Promise<boolean>;
}

export interface V0NegotiationResult {
  /** Lines to send (without pkt-line framing), in order. */
  readonly lines: readonly string[];
  /** True when the pack follows these lines in this response. */
  readonly sendPack: boolean;
  /** The haves we share with the client (the pack excludes what they reach). */
  readonly common: readonly ObjectId[];
}

/**
 * What a stateful (SSH) v0 negotiation carries from one round to the next: git's `have_obj`,
 * `last_hex` and `sent_ready` in upload-pack.c `get_common_commits`. A stateless HTTP request
 * starts from an empty state, because the client repeats what is common in every request.
 */
export interface V0NegotiationState {
  readonly common: ObjectId[];
  last: ObjectId | undefined;
  sentReady: boolean;
}

export function newV0NegotiationState(): V0NegotiationState {
  return { common: [], last: undefined, sentReady: false };
}

/**
 * One v0 round (http-protocol.txt: every stateless request repeats the state; over SSH `state`
 * carries it). Follows git's upload-pack: `ACK <id> common` per shared have, `ACK <id> ready` when
 * no more are needed, `NAK` at the end of a round, a final `ACK <id>` (or `NAK` with no common)
 * before the pack on `done` — or right after `ready` when the client supports `no-done`.
 */
export async function negotiateV0(
  request: FetchRequest,
  oracle: NegotiationOracle,
  state: V0NegotiationState = newV0NegotiationState(),
): Promise<V0NegotiationResult> {
  const lines: string[] = [];
  const common = state.common;
  const detailed = request.multiAck === 'multi_ack_detailed';
  const multi = request.multiAck !== 'none';
  let gotCommon = false;
  let gotOther = false;
  await oracle.prefetch?.(request.haves);
  for (const have of request.haves) {
    if (await oracle.addHave(have)) {
      common.push(have);
      state.last = have;
      gotCommon = true;
      if (detailed) lines.push(`ACK ${have} common`);
      else if (multi) lines.push(`ACK ${have} continue`);
      else if (common.length === 1) lines.push(`ACK ${have}`);
    } else {
      gotOther = true;
      if (multi && common.length > 0 && (await oracle.okToGiveUp())) {
        if (detailed) state.sentReady = true;
        lines.push(detailed ? `ACK ${have} ready` : `ACK ${have} continue`);
      }
    }
  }
  const last = state.last;
  if (request.done) {
    if (last !== undefined && multi) lines.push(`ACK ${last}`);
    else if (last === undefined) lines.push('NAK');
    return { lines, sendPack: true, common };
  }
  // End of a round (flush).
  if (detailed && gotCommon && !gotOther && last !== undefined && (await oracle.okToGiveUp())) {
    state.sentReady = true;
    lines.push(`ACK ${last} ready`);
  }
  if (common.length === 0 || multi) lines.push('NAK');
  if (request.noDone && state.sentReady && last !== undefined) {
    lines.push(`ACK ${last}`);
    return { lines, sendPack: true, common };
  }
  return { lines, sendPack: false, common };
}

export interface V2AcknowledgmentResult {
  /** The `acknowledgments` section lines, or empty when the client said `done`. */
  readonly lines: readonly string[];
  /** True when the pack follows (after `ready` or on `done`). */
  readonly sendPack: boolean;
  readonly common: readonly ObjectId[];
}

/** protocol-v2.txt "fetch" output: acknowledgments (`ACK`/`NAK`, then `ready`). */
export async function negotiateV2(
  request: FetchRequest,
  oracle: NegotiationOracle,
): Promise<V2AcknowledgmentResult> {
  const common: ObjectId[] = [];
  await oracle.prefetch?.(request.haves);
  for (const have of request.haves) {
    if (await oracle.addHave(have)) common.push(have);
  }
  if (request.done || request.haves.length === 0) return { lines: [], sendPack: true, common };
  const lines = ['acknowledgments'];
  if (common.length === 0) lines.push('NAK');
  for (const id of common) lines.push(`ACK ${id}`);
  if (!request.waitForDone && common.length > 0 && (await oracle.okToGiveUp())) {
    lines.push('ready');
    return { lines, sendPack: true, common };
  }
  return { lines, sendPack: false, common };
}
