import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { codeOfObjectType, encodeEntryHeader, encodePackHeader } from '../git/pack-format.js';
import type { NewObject } from './pending-objects.js';

/**
 * A version 2 pack holding `objects` whole (no deltas): how objects built on the server (the
 * commits API) enter a repository through the same `receivePack` as a pushed pack, with the same
 * checks (fsck, limits, connectivity) and the same storage.
 */
export function packOfObjects(objects: readonly NewObject[]): Buffer {
  const parts: Buffer[] = [encodePackHeader(objects.length)];
  for (const object of objects) {
    parts.push(encodeEntryHeader(codeOfObjectType(object.type), object.content.length));
    parts.push(zlib.deflateSync(object.content));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, crypto.createHash('sha1').update(body).digest()]);
}
