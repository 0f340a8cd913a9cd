import { invalid, tooLarge } from '../../platform/errors.js';
import { isObjectId, type ObjectId } from '../object-id.js';
import { FLUSH_PKT, encodePktLine, pktText, type PktLine } from '../pkt-line.js';
import { splitCapabilities, type Capabilities } from './capabilities.js';
import { isValidRefName } from '../ref-name.js';

/** One ref update of a push (pack-protocol.txt "Reference Update Request"). */
export interface RefCommand {
  readonly oldId: ObjectId;
  readonly newId: ObjectId;
  readonly refName: string;
}

export interface ReceiveRequest {
  readonly commands: readonly RefCommand[];
  readonly capabilities: Capabilities;
  readonly pushOptions: readonly string[];
  /** Shallow commits the pushing client announces (its own shallow boundary). */
  readonly shallows: readonly ObjectId[];
}

/**
 * Counts bounded besides the byte cap of the whole command section (the reader's budget): each
 * stays well under what that cap lets through, so no list grows past a fixed size.
 */
export const MAX_REF_COMMANDS = 100_000;
export const MAX_PUSH_SHALLOWS = 100_000;
export const MAX_PUSH_OPTIONS = 1_000;
export const MAX_REF_NAME_LENGTH = 4096;

/** A ref a push may name: under `refs/`, of bounded length, and valid for `git check-ref-format`. */
export function isPushableRefName(name: string): boolean {
  return name.startsWith('refs/') && name.length <= MAX_REF_NAME_LENGTH && isValidRefName(name);
}

function parseCommand(line: string): RefCommand {
  const [oldId, newId, refName, ...extra] = line.split(' ');
  if (!oldId || !newId || !refName || extra.length > 0 || !isObjectId(oldId) || !isObjectId(newId)) {
    throw invalid('push_command_invalid', `malformed ref update: '${line.slice(0, 120)}'`);
  }
  if (!isPushableRefName(refName)) {
    throw invalid('push_ref_invalid', `invalid ref name: '${refName.slice(0, 120)}'`);
  }
  return { oldId, newId, refName };
}

/**
 * Reads the command list (first line carries capabilities after a NUL), `shallow` lines, and the
 * push options when `push-options` was requested. The pack, if any, follows in the stream.
 */
export async function parseReceiveRequest(
  read: () => Promise<PktLine | undefined>,
  /**
   * Told the client's capabilities as soon as the first command line is read: a refusal of what
   * follows (a command section over its cap) must already use the framing they ask for.
   */
  onCapabilities?: (capabilities: Capabilities) => void,
): Promise<ReceiveRequest> {
  const commands: RefCommand[] = [];
  const shallows: ObjectId[] = [];
  let capabilities: Capabilities = new Map();
  for (;;) {
    const packet = await read();
    if (packet === undefined) {
      if (commands.length === 0 && shallows.length === 0) break;
      throw invalid('push_request_truncated', 'request ended inside the command list');
    }
    if (packet.kind === 'flush') break;
    const text = pktText(packet);
    if (text === undefined) throw invalid('push_command_invalid', `unexpected ${packet.kind} packet`);
    if (text.startsWith('shallow ')) {
      const id = text.slice('shallow '.length);
      if (!isObjectId(id)) throw invalid('push_command_invalid', 'malformed shallow line');
      if (shallows.length >= MAX_PUSH_SHALLOWS) {
        throw tooLarge('push_too_many_shallows', 'too many shallow lines in one push', {
          limit: MAX_PUSH_SHALLOWS,
        });
      }
      shallows.push(id);
      continue;
    }
    const split = commands.length === 0 ? splitCapabilities(text) : { line: text, caps: capabilities };
    if (commands.length === 0) {
      capabilities = split.caps;
      onCapabilities?.(capabilities);
    }
    if (commands.length >= MAX_REF_COMMANDS) {
      throw tooLarge('push_too_many_commands', 'too many ref updates in one push', {
        limit: MAX_REF_COMMANDS,
      });
    }
    commands.push(parseCommand(split.line));
  }
  const pushOptions: string[] = [];
  if (capabilities.has('push-options') && commands.length > 0) {
    for (;;) {
      const packet = await read();
      if (packet === undefined)
        throw invalid('push_request_truncated', 'request ended inside the push options');
      if (packet.kind === 'flush') break;
      if (pushOptions.length >= MAX_PUSH_OPTIONS) {
        throw tooLarge('push_too_many_options', 'too many push options', { limit: MAX_PUSH_OPTIONS });
      }
      pushOptions.push(pktText(packet) ?? '');
    }
  }
  return { commands, capabilities, pushOptions, shallows };
}

/** A pack is expected unless every command deletes a ref. */
export function expectsPack(commands: readonly RefCommand[], zeroId: string): boolean {
  return commands.some((command) => command.newId !== zeroId);
}

/** Result of one ref: undefined = ok, a string = the rejection reason. */
export type RefStatus = ReadonlyMap<string, string | undefined>;

/**
 * report-status / report-status-v2 (pack-protocol.txt "Report Status"): `unpack ok` or
 * `unpack <error>`, then `ok <ref>` / `ng <ref> <reason>` per command, then a flush. Reasons are
 * kept on one line so the client prints them whole.
 */
export function encodeReportStatus(
  unpackError: string | undefined,
  commands: readonly RefCommand[],
  status: RefStatus,
): Buffer {
  const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').slice(0, 1000);
  const parts: Buffer[] = [
    encodePktLine(`unpack ${unpackError === undefined ? 'ok' : oneLine(unpackError)}\n`),
  ];
  for (const command of commands) {
    const reason = unpackError !== undefined ? 'unpacker error' : status.get(command.refName);
    parts.push(
      encodePktLine(
        reason === undefined ? `ok ${command.refName}\n` : `ng ${command.refName} ${oneLine(reason)}\n`,
      ),
    );
  }
  parts.push(FLUSH_PKT);
  return Buffer.concat(parts);
}

/** An `ERR` packet: a fatal error git prints as `fatal: remote error: …` (pack-protocol.txt). */
export function encodeErrorPacket(message: string): Buffer {
  return encodePktLine(`ERR ${message.replace(/[\r\n]+/g, ' ').slice(0, 1000)}\n`);
}
