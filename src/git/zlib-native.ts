import type zlib from 'node:zlib';

/**
 * The native handle behind `zlib.Inflate` / `zlib.Deflate`: the same `writeSync`/`reset` calls
 * `zlib.inflateSync` and `deflateSync` make, minus their per-call setup (about 6× faster per small
 * pack object). These are Node internals, so callers keep a fallback on the public API for a
 * Node version that lacks them.
 */
export interface NativeZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

export interface NativeZlib {
  readonly handle: NativeZlibHandle;
  /** `[availOut, availIn]` after each `writeSync`. */
  readonly state: Uint32Array;
}

/** The native handle of a fresh zlib stream, or undefined when this Node does not expose it. */
export function openNativeZlib(stream: zlib.Inflate | zlib.Deflate): NativeZlib | undefined {
  const internals = stream as unknown as { _handle?: Partial<NativeZlibHandle>; _writeState?: Uint32Array };
  const handle = internals._handle;
  const state = internals._writeState;
  if (
    typeof handle?.writeSync !== 'function' ||
    typeof handle.reset !== 'function' ||
    !(state instanceof Uint32Array)
  ) {
    return undefined;
  }
  return { handle: handle as NativeZlibHandle, state };
}
