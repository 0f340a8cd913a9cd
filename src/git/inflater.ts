import zlib from 'node:zlib';
import { invalid, tooLarge } from '../platform/errors.js';
import { openNativeZlib, type NativeZlib } from './zlib-native.js';

/**
 * Inflates one zlib stream of known size, fed in pieces, and reports where the stream ended in
 * the input (a pack stores zlib streams back to back with no length). One instance is reused
 * for every object of a pack: creating a zlib stream per object costs more than inflating it.
 *
 * Fast path: the native handle behind `zlib.Inflate` (`writeSync`/`reset`/`_writeState`), the
 * same calls `zlib.inflateSync` makes, minus its per-call setup. If a Node version lacks them,
 * the fallback re-runs `inflateSync({ info: true })` over the buffered input.
 */
export interface InflateResult {
  /** Input bytes of this call that belong to the stream. */
  readonly consumed: number;
  /** True once the stream has ended; `output()` is then complete. */
  readonly done: boolean;
}

/** Below this, the output buffer is allocated at full size at once. */
const EAGER_ALLOCATION = 1 << 20;
/** Larger objects get their own buffer rather than growing the reusable one for good. */
const MAX_SCRATCH = 16 << 20;
/** Output piece size in streaming mode. */
const STREAM_PIECE = 1 << 20;
/**
 * Output room given to zlib past the expected size (and the byte after it), where the target has
 * it: zlib decodes with its fast loop (`inflate_fast`) only while at least 258 bytes of output
 * room are left (its longest copy), so with exactly the size as room, an object under 258 bytes
 * (most deltas of a pack) is decoded wholly by its slower loop, and every other object's last 258
 * bytes too. With the room, the storage bench's 32,654 streams inflate ~12 % faster (docs/scale.md,
 * "The decode thread's inflating … (2026-12-07, eleventh session)").
 */
export const INFLATE_SLACK = 258;

export class Inflater {
  private readonly native: NativeZlib | undefined;
  private error: string | undefined;
  private out: Buffer = Buffer.alloc(0);
  /** Where zlib's room in `out` ends (`out` may be longer: the scratch buffer, a target). */
  private outEnd = 0;
  private written = 0;
  private expected = 0;
  private pending: Buffer[] = [];
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** Streaming mode: receives each filled piece of output instead of keeping it. */
  private sink: ((piece: Buffer) => void) | undefined;
  /** Output already handed to the sink. */
  private flushed = 0;
  private pieces: Buffer = Buffer.alloc(0);
  /**
   * Room in `out` past `expected + 1` (`INFLATE_SLACK`), only until the first `push` returns:
   * zlib then stops where it would have with exact room (see `pushNative`).
   */
  private slack = 0;
  /** What `push` returns: one object, rewritten by each call (one fewer allocation per object). */
  private readonly result = { consumed: 0, done: false };

  constructor(options: { forceFallback?: boolean } = {}) {
    this.native = options.forceFallback ? undefined : openNativeZlib(new zlib.Inflate());
    if (this.native) {
      this.native.handle.onerror = (message) => {
        this.error = message;
      };
    }
  }

  /** True when the fast native path is in use. */
  get isNative(): boolean {
    return this.native !== undefined;
  }

  /**
   * Begins a stream that must inflate to exactly `expectedSize` bytes. With `scratch`, output goes
   * to a buffer reused by the next `begin(…, true)`: no allocation for objects only hashed.
   */
  begin(expectedSize: number, scratch = false): void {
    this.reset(expectedSize);
    if (scratch && this.native && expectedSize < MAX_SCRATCH) {
      const room = expectedSize + 1 + INFLATE_SLACK;
      if (this.scratch.length < room)
        this.scratch = Buffer.allocUnsafe(Math.max(room, this.scratch.length * 2));
      this.out = this.scratch;
      this.outEnd = room;
      this.slack = INFLATE_SLACK;
    } else {
      this.out = Buffer.allocUnsafe(Math.min(expectedSize + 1, EAGER_ALLOCATION));
      this.outEnd = this.out.length;
    }
  }

  private reset(expectedSize: number): void {
    this.expected = expectedSize;
    this.written = 0;
    this.error = undefined;
    if (this.pending.length > 0) this.pending = [];
    this.sink = undefined;
    this.flushed = 0;
    this.slack = 0;
    this.native?.handle.reset();
  }

  /**
   * Begins a stream inflated into `target` (at least `expectedSize + 1` bytes: the byte past the
   * size shows a stream that inflates to more; up to `INFLATE_SLACK` more bytes of it are used as
   * zlib's room, and may be written). `output()` is then a view of `target`, except on the
   * fallback path, which returns a buffer of its own.
   */
  beginInto(expectedSize: number, target: Buffer): void {
    if (target.length < expectedSize + 1) throw new RangeError('inflate target is too small');
    this.reset(expectedSize);
    const room = Math.min(target.length, expectedSize + 1 + INFLATE_SLACK);
    this.out = target;
    this.outEnd = room;
    this.slack = room - expectedSize - 1;
  }

  /**
   * Begins a stream whose output is handed to `sink` in pieces of at most `pieceSize` bytes (each
   * valid only during the call) and never kept whole: memory stays independent of the object's
   * size. `output()` is empty afterwards. The fallback inflater still inflates the stream whole.
   */
  beginStreaming(expectedSize: number, sink: (piece: Buffer) => void, pieceSize = STREAM_PIECE): void {
    this.reset(expectedSize);
    if (this.pieces.length !== pieceSize) this.pieces = Buffer.allocUnsafe(pieceSize);
    this.out = this.pieces;
    this.outEnd = pieceSize;
    this.sink = sink;
  }

  /**
   * Feeds `input[start, end)`. Throws `pack_bad_zlib` or `pack_size_mismatch`. The result is
   * valid until the next call.
   */
  push(input: Buffer, start: number, end: number): InflateResult {
    return this.native
      ? this.pushNative(this.native, input, start, end)
      : this.pushFallback(input, start, end);
  }

  /** The inflated bytes; valid after `done`. */
  output(): Buffer {
    return this.out.length === this.written ? this.out : this.out.subarray(0, this.written);
  }

  private pushNative(native: NativeZlib, input: Buffer, start: number, end: number): InflateResult {
    let offset = start;
    for (;;) {
      const room = this.outEnd - this.written;
      native.handle.writeSync(
        zlib.constants.Z_SYNC_FLUSH,
        input,
        offset,
        end - offset,
        this.out,
        this.written,
        room,
      );
      if (this.error !== undefined) {
        if (this.slack > 0) return this.retryWithoutSlack(native, input, start, end);
        throw badZlib(this.error);
      }
      const availOut = native.state[0]!;
      const availIn = native.state[1]!;
      this.written += room - availOut;
      offset = end - availIn;
      if (availOut === 0) {
        if (this.flushed + this.outEnd > this.expected) throw sizeMismatch(this.expected, 'larger');
        if (this.sink) this.flush(this.sink);
        else this.grow();
        continue;
      }
      if (this.slack > 0) {
        // With exact room zlib would have stopped at the byte past the size, without an error.
        if (this.written > this.expected) throw sizeMismatch(this.expected, 'larger');
        // The stream goes on in the next input: the rest gets exact room, as without the slack.
        if (availIn === 0) this.dropSlack();
      }
      // Output room left and input left over: the stream ended.
      if (availIn > 0) return this.finish(offset - start);
      return this.settle(end - start, false);
    }
  }

  /**
   * A stream that failed with the slack's room: zlib may have decoded past the byte after the
   * size before failing, where with exact room it would have stopped there and the stream been
   * too large. Decoded again from its start (this was its first input) with exact room, so the
   * error is the one it always was.
   */
  private retryWithoutSlack(native: NativeZlib, input: Buffer, start: number, end: number): InflateResult {
    native.handle.reset();
    this.error = undefined;
    this.written = 0;
    this.dropSlack();
    return this.pushNative(native, input, start, end);
  }

  private dropSlack(): void {
    this.outEnd = this.expected + 1;
    this.slack = 0;
  }

  private pushFallback(input: Buffer, start: number, end: number): InflateResult {
    const before = this.pending.reduce((sum, piece) => sum + piece.length, 0);
    this.pending.push(input.subarray(start, end));
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    let result: { buffer: Buffer; engine: zlib.Inflate };
    try {
      result = zlib.inflateSync(all, {
        info: true,
        maxOutputLength: Math.max(1, this.expected + 1),
      }) as unknown as {
        buffer: Buffer;
        engine: zlib.Inflate;
      };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'Z_BUF_ERROR') return this.settle(end - start, false);
      if (code === 'ERR_BUFFER_TOO_LARGE') throw sizeMismatch(this.expected, 'larger');
      throw badZlib(error instanceof Error ? error.message : 'zlib error');
    }
    const streamLength = result.engine.bytesWritten;
    if (streamLength === all.length) {
      // The stream may end exactly here; a pack always has a trailer after it, so wait for it.
      return this.settle(end - start, false);
    }
    this.out = result.buffer;
    this.written = result.buffer.length;
    return this.finish(streamLength - before);
  }

  private finish(consumed: number): InflateResult {
    const total = this.flushed + this.written;
    if (total !== this.expected)
      throw sizeMismatch(this.expected, total > this.expected ? 'larger' : 'smaller');
    if (this.sink) this.flush(this.sink);
    return this.settle(consumed, true);
  }

  private settle(consumed: number, done: boolean): InflateResult {
    this.result.consumed = consumed;
    this.result.done = done;
    return this.result;
  }

  private flush(sink: (piece: Buffer) => void): void {
    if (this.written > 0) sink(this.out.subarray(0, this.written));
    this.flushed += this.written;
    this.written = 0;
  }

  private grow(): void {
    const size = Math.min(this.expected + 1, this.outEnd * 4);
    const bigger = Buffer.allocUnsafe(size);
    this.out.copy(bigger, 0, 0, this.written);
    this.out = bigger;
    this.outEnd = size;
  }
}

function badZlib(message: string) {
  return invalid('pack_bad_zlib', 'pack entry is not a valid zlib stream', { reason: message });
}

function sizeMismatch(expected: number, direction: 'larger' | 'smaller') {
  return direction === 'larger'
    ? tooLarge('pack_size_mismatch', 'pack entry inflates to more than its declared size', { expected })
    : invalid('pack_size_mismatch', 'pack entry inflates to less than its declared size', { expected });
}
