/**
 * How far ahead of the client the server sends a channel's output.
 *
 * The OpenSSH client grants a session channel a 2 MiB window and holds whatever it received but
 * could not yet write to git in one buffer, which it grows 32 KiB packet by packet, each time into
 * a freshly allocated copy. During a clone git (index-pack) is the slowest reader, so a server that
 * fills the whole window keeps megabytes there: a 6 MB pack cost the client ~70k page faults and
 * ~0.1 s of system time, the largest part of what SSH added to a clone (docs/ssh.md). Kept to a
 * few hundred KiB ahead, the same clone costs it ~1k page faults, and git never waits for data.
 *
 * Over a long round trip the whole window is needed to keep the link busy: the window kept is what
 * `TARGET_BYTES_PER_SECOND` needs for the measured round trip, never less than `MIN_AHEAD_BYTES`,
 * and never more than the client granted. A link slower than the target, or a round trip above
 * ~30 ms, keeps the client's full window.
 */
const MIN_AHEAD_BYTES = 256 * 1024;
const TARGET_BYTES_PER_SECOND = 64 * 1024 * 1024;

/** The part of an `ssh2` channel this touches: its view of the client's window. */
interface WindowedChannel {
  readonly outgoing: unknown;
}

/** The bytes to keep in flight for a round trip of `roundTripMs`. */
export function sendAheadBytes(roundTripMs: number): number {
  const needed = Math.ceil((TARGET_BYTES_PER_SECOND * Math.max(0, roundTripMs)) / 1000);
  return Math.max(MIN_AHEAD_BYTES, needed);
}

/**
 * Lowers the server's view of the client's window to `sendAheadBytes(roundTripMs)` (if it is
 * larger). ssh2 adds every WINDOW_ADJUST the client sends to this view, so from then on at most
 * that many bytes are sent and not yet consumed by the client; ssh2 holds the rest back (the
 * channel's write waits) until the client adjusts. Call before anything is written.
 */
export function limitSendWindow(channel: WindowedChannel, roundTripMs: number): void {
  const outgoing = channel.outgoing as { window?: unknown } | undefined;
  if (!outgoing || typeof outgoing.window !== 'number') return;
  const ahead = sendAheadBytes(roundTripMs);
  if (outgoing.window > ahead) outgoing.window = ahead;
}
