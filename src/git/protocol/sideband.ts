import { PKT_LINE_MAX_PAYLOAD, encodePktLine } from '../pkt-line.js';

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

/** Frames `data` on `band` into as many packets as needed, as one buffer. */
export function encodeSideband(band: Band, data: Uint8Array, maxData = SIDEBAND_64K_MAX_DATA): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  do {
    const chunk = data.subarray(offset, Math.min(offset + maxData, data.length));
    const payload = Buffer.allocUnsafe(chunk.length + 1);
    payload[0] = band;
    payload.set(chunk, 1);
    parts.push(encodePktLine(payload));
    offset += maxData;
  } while (offset < data.length);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** A progress message the client prints as `remote: …`. */
export function encodeProgress(message: string, maxData = SIDEBAND_64K_MAX_DATA): Buffer {
  return encodeSideband(BAND_PROGRESS, Buffer.from(message), maxData);
}
