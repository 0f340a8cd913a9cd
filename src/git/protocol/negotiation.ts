import type { ObjectId } from '../object-id.js';
import type { FetchRequest } from './fetch-request.js';

/**
 * The server side of packfile negotiation (pack-protocol.txt "Packfile Negotiation",
 * protocol-capabilities.txt "multi_ack_detailed", "no-done"). Pure: the repository questions are
 * asked through `NegotiationOracle`, the answer is the list of lines to send.
 */
export interface NegotiationOracle {
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
 * One stateless v0 round (http-protocol.txt: every request repeats the state). Follows git's
 * upload-pack: `ACK <id> common` per shared have, `ACK <id> ready` when no more are needed, `NAK`
 * at the end of a round, a final `ACK <id>` (or `NAK` with no common) before the pack on `done`
 * — or right after `ready` when the client supports `no-done`.
 */
export async function negotiateV0(
  request: FetchRequest,
  oracle: NegotiationOracle,
): Promise<V0NegotiationResult> {
  const lines: string[] = [];
  const common: ObjectId[] = [];
  const detailed = request.multiAck === 'multi_ack_detailed';
  const multi = request.multiAck !== 'none';
  let last: ObjectId | undefined;
  let gotOther = false;
  let sentReady = false;
  for (const have of request.haves) {
    if (await oracle.addHave(have)) {
      common.push(have);
      last = have;
      if (detailed) lines.push(`ACK ${have} common`);
      else if (multi) lines.push(`ACK ${have} continue`);
      else if (common.length === 1) lines.push(`ACK ${have}`);
    } else {
      gotOther = true;
      if (multi && common.length > 0 && (await oracle.okToGiveUp())) {
        sentReady = detailed;
        lines.push(detailed ? `ACK ${have} ready` : `ACK ${have} continue`);
      }
    }
  }
  if (request.done) {
    if (last !== undefined && multi) lines.push(`ACK ${last}`);
    else if (last === undefined) lines.push('NAK');
    return { lines, sendPack: true, common };
  }
  // End of a round (flush).
  if (detailed && last !== undefined && !gotOther && (await oracle.okToGiveUp())) {
    sentReady = true;
    lines.push(`ACK ${last} ready`);
  }
  if (common.length === 0 || multi) lines.push('NAK');
  if (request.noDone && sentReady && last !== undefined) {
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
