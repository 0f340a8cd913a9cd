import type { Socket } from 'node:net';

/** Longest wait for the client's first packet after its identification line. */
const MAX_HOLD_MS = 50;
/** More than an identification line may be (255 bytes, RFC 4253 §4.2) and a KEXINIT's start. */
const MAX_HELD_BYTES = 8 * 1024;
const LF = 0x0a;

/**
 * Hands a client's identification line to ssh2 only together with the bytes after it (the
 * client's KEXINIT), so the server's KEXINIT is sent after the client's has arrived.
 *
 * ssh2 sends its KEXINIT as soon as it has read the client's identification line. The client's
 * KEXINIT, arriving just after, then gets nothing back (the server waits for the key exchange's
 * next message), so the server's kernel delays its acknowledgement — by 40 ms on Linux, the
 * connection being in its request/response mode — and the OpenSSH client, which leaves Nagle's
 * algorithm on for non-interactive sessions, holds its next small packet (KEX_ECDH_INIT) until
 * that acknowledgement comes. Two thirds of the connections of a clone lost 40 ms there. With
 * the server's KEXINIT sent after the client's, it carries the acknowledgement. Strict key
 * exchange (OpenSSH's Terrapin counter-measure) allows no other packet that could carry it.
 *
 * A client that waits for the server's KEXINIT before sending its own is served after
 * `MAX_HOLD_MS`; the connection's end or error releases what is held first.
 */
export function deliverIdentWithFirstPacket(socket: Socket): void {
  type Emit = (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
  const emit = socket.emit as Emit;
  const held: Buffer[] = [];
  let heldBytes = 0;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    socket.emit = emit as Socket['emit'];
    if (heldBytes > 0) emit.call(socket, 'data', Buffer.concat(held, heldBytes));
  };
  socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data' || !Buffer.isBuffer(args[0])) {
      if (event === 'end' || event === 'error' || event === 'close') release();
      return emit.call(this, event, ...args);
    }
    held.push(args[0]);
    heldBytes += args[0].length;
    if (identComplete(held, heldBytes) || heldBytes > MAX_HELD_BYTES) release();
    else timer ??= setTimeout(release, MAX_HOLD_MS);
    return true;
  } as Socket['emit'];
}

/** True when a line feed is followed by at least one more byte. */
function identComplete(held: readonly Buffer[], heldBytes: number): boolean {
  const bytes = held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held, heldBytes);
  const lineEnd = bytes.indexOf(LF);
  return lineEnd >= 0 && lineEnd < bytes.length - 1;
}
