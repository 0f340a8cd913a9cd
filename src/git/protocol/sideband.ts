import { PKT_LINE_MAX_PAYLOAD } from '../pkt-line.js';

/**
 * side-band / side-band-64k multiplexing (protocol-capabilities.txt "side-band, side-band-64k"):
 * each pkt-line payload starts with a band byte: 1 pack data, 2 progress, 3 fatal error.
 */
export const BAND_DATA = 1;
export const BAND_PROGRESS = 2;
export const BAND_ERROR = 3;
export type Band = typeof BAND_DATA | typeof BAND_PROGRESS | typeof BAND_ERROR;

/** Largest payload per packet with side-band-64k (the band byte takes one). */
export const SIDEBAND_64K_MAX_DATA = PKT_LINE_MAX_PAYLOAD - 1;
/** Largest payload per packet with the old side-band (1000-byte packets). */
export const SIDEBAND_MAX_DATA = 1000 - 4 - 1;

/** pkt-line length (4 hex digits) and the band byte. */
export const SIDEBAND_HEADER_BYTES = 5;

/** Frames `data` on `band` into as many packets as needed, as one buffer (one allocation). */
export function encodeSideband(band: Band, data: Uint8Array, maxData = SIDEBAND_64K_MAX_DATA): Buffer {
  const packets = Math.max(1, Math.ceil(data.length / maxData));
  const out = Buffer.allocUnsafe(data.length + packets * SIDEBAND_HEADER_BYTES);
  let at = 0;
  for (let offset = 0; offset < data.length || at === 0; offset += maxData) {
    const chunk = data.subarray(offset, Math.min(offset + maxData, data.length));
    out.write((chunk.length + SIDEBAND_HEADER_BYTES).toString(16).padStart(4, '0'), at, 'latin1');
    out[at + 4] = band;
    out.set(chunk, at + SIDEBAND_HEADER_BYTES);
    at += chunk.length + SIDEBAND_HEADER_BYTES;
  }
  return out;
}

/** A progress message the client prints as `remote: …`. */
export function encodeProgress(message: string, maxData = SIDEBAND_64K_MAX_DATA): Buffer {
  return encodeSideband(BAND_PROGRESS, Buffer.from(message), maxData);
}
