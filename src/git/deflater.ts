import zlib from 'node:zlib';
import { MegaError } from '../platform/errors.js';
import { openNativeZlib, type NativeZlib } from './zlib-native.js';

/** zlib's deflateBound() for the default window and memory level, plus the zlib wrapper. */
export function deflateBound(length: number): number {
  return length + (length >>> 12) + (length >>> 14) + (length >>> 25) + 13 + 6;
}

/**
 * Deflates whole buffers, reusing one zlib stream for all of them (a pack holds thousands of
 * small objects; a new zlib stream per object costs more than compressing it). Uses the native
 * handle behind `zlib.Deflate` when present, `zlib.deflateSync` otherwise.
 */
export class Deflater {
  private readonly native: NativeZlib | undefined;
  private error: string | undefined;

  constructor(
    private readonly level: number = zlib.constants.Z_DEFAULT_COMPRESSION,
    options: { forceFallback?: boolean } = {},
  ) {
    this.native = options.forceFallback ? undefined : openNativeZlib(new zlib.Deflate({ level }));
    if (this.native) {
      this.native.handle.onerror = (message) => {
        this.error = message;
      };
    }
  }

  get isNative(): boolean {
    return this.native !== undefined;
  }

  deflate(data: Uint8Array): Buffer {
    if (!this.native) return zlib.deflateSync(data, { level: this.level });
    const { handle, state } = this.native;
    handle.reset();
    const out = Buffer.allocUnsafe(deflateBound(data.length));
    handle.writeSync(zlib.constants.Z_FINISH, data, 0, data.length, out, 0, out.length);
    if (this.error !== undefined || state[1] !== 0) {
      const reason = this.error ?? 'output bound exceeded';
      this.error = undefined;
      throw new MegaError('internal', 'zlib_deflate_failed', 'deflate failed', { reason });
    }
    return out.subarray(0, out.length - state[0]!);
  }
}
