import { createHash } from 'node:crypto';
import { constants, createDeflate, deflateSync } from 'node:zlib';
import { hashObject } from '../../src/git/object.js';
import type { ObjectId } from '../../src/git/object-id.js';
import { codeOfObjectType, encodeEntryHeader, encodePackHeader } from '../../src/git/pack-format.js';
import { serializeTree } from '../../src/git/tree.js';

/**
 * Packs a hostile client pushes, built byte by byte (pack-format.txt) without holding what they
 * expand to: a blob of a gigabyte of zeros is deflated and hashed from one reused buffer of zeros.
 */

const PIECE_BYTES = 1024 * 1024;
const ZERO_ID = '0'.repeat(40);

/** `count` bytes of `fill` in pieces of at most 1 MiB (the same buffer each time). */
export function* repeatedBytes(count: number, fill = 0): Generator<Buffer> {
  const piece = Buffer.alloc(PIECE_BYTES, fill);
  for (let left = count; left > 0; left -= piece.length) {
    yield left >= piece.length ? piece : piece.subarray(0, left);
  }
}

/** The zlib stream of `count` bytes of `fill` (about 1 KiB per MiB), built piece by piece. */
export async function deflatedRepeat(count: number, fill = 0, head?: Buffer): Promise<Buffer> {
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.once('end', resolve);
    deflate.once('error', reject);
  });
  if (head) deflate.write(head);
  for (const piece of repeatedBytes(count, fill)) {
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return Buffer.concat(out);
}

/** A blob's id from its content in pieces (`blob <size>\0` then the bytes). */
export function blobIdOf(size: number, pieces: Iterable<Buffer>): ObjectId {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex') as ObjectId;
}

interface PackEntry {
  readonly type: 'blob' | 'tree' | 'commit' | 'tag';
  readonly size: number;
  readonly deflated: Buffer;
}

/** A pack of whole (non-delta) entries with its trailing checksum. */
export function packOf(entries: readonly PackEntry[]): Buffer {
  const parts = [encodePackHeader(entries.length)];
  for (const entry of entries) {
    parts.push(encodeEntryHeader(codeOfObjectType(entry.type), entry.size), entry.deflated);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function whole(type: 'tree' | 'commit', content: Buffer): PackEntry {
  return { type, size: content.length, deflated: deflateSync(content) };
}

export interface BombPack {
  /** The pack: `base` (a `README`), then `commit` adding `zeros.bin`, `size` bytes of one value. */
  readonly pack: Buffer;
  readonly base: ObjectId;
  readonly commit: ObjectId;
  readonly blob: ObjectId;
  readonly size: number;
}

function commitText(tree: ObjectId, parent: ObjectId | undefined, message: string): Buffer {
  return Buffer.from(
    `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author Bomb <bomb@example.com> 1700000000 +0000\n` +
      `committer Bomb <bomb@example.com> 1700000000 +0000\n\n${message}\n`,
  );
}

/**
 * The deflate bomb: a blob of `size` zeros (1 GiB arrives as about 1 MiB) added as `zeros.bin`
 * by the second commit of a two-commit history whose first holds a small `README` (so diffs and
 * compares of the two show the bomb). With `fill` another byte (`0x61`, 'a'), the big file is
 * text instead of binary.
 */
export async function deflateBombPack(size: number, fill = 0): Promise<BombPack> {
  const blob = blobIdOf(size, repeatedBytes(size, fill));
  const readme = Buffer.from('a file of zeros follows\n');
  const readmeId = hashObject('blob', readme);
  const baseTree = serializeTree([{ mode: '100644', name: 'README', id: readmeId }]);
  const base = commitText(hashObject('tree', baseTree), undefined, 'readme');
  const baseId = hashObject('commit', base);
  const tree = serializeTree([
    { mode: '100644', name: 'README', id: readmeId },
    { mode: '100644', name: 'zeros.bin', id: blob },
  ]);
  const commit = commitText(hashObject('tree', tree), baseId, 'zeros');
  const pack = packOf([
    { type: 'blob', size, deflated: await deflatedRepeat(size, fill) },
    { type: 'blob', size: readme.length, deflated: deflateSync(readme) },
    whole('tree', baseTree),
    whole('commit', base),
    whole('tree', tree),
    whole('commit', commit),
  ]);
  return { pack, base: baseId, commit: hashObject('commit', commit), blob, size };
}

/**
 * An annotated tag of `commit` whose message is `messageBytes` of 'a' (a deflate bomb in a tag:
 * every ref advertisement peels tags), as a one-object pack.
 */
export async function tagBombPack(
  commit: ObjectId,
  messageBytes: number,
  name = 'bomb',
): Promise<{ pack: Buffer; tag: ObjectId; name: string }> {
  const head = Buffer.from(
    `object ${commit}\ntype commit\ntag ${name}\ntagger Bomb <bomb@example.com> 1700000000 +0000\n\n`,
  );
  const size = head.length + messageBytes;
  const hash = createHash('sha1').update(`tag ${size}\0`).update(head);
  for (const piece of repeatedBytes(messageBytes, 0x61)) hash.update(piece);
  const pack = packOf([{ type: 'tag', size, deflated: await deflatedRepeat(messageBytes, 0x61, head) }]);
  return { pack, tag: hash.digest('hex') as ObjectId, name };
}

/** A pack header announcing 2^32-1 objects, followed by one small blob and nothing else. */
export function hugeCountPack(): Buffer {
  const blob = Buffer.from('x\n');
  const header = encodePackHeader(0xffffffff);
  return Buffer.concat([header, encodeEntryHeader(codeOfObjectType('blob'), blob.length), deflateSync(blob)]);
}

/** A valid pack cut in the middle of its entries. */
export function truncatedPack(): Buffer {
  const blob = Buffer.from('truncated\n'.repeat(1000));
  const pack = packOf([{ type: 'blob', size: blob.length, deflated: deflateSync(blob) }]);
  return pack.subarray(0, Math.floor(pack.length / 2));
}

/** One entry whose header claims 2^40 bytes, followed by a tiny zlib stream. */
export function hugeHeaderPack(): Buffer {
  const blob = Buffer.from('small\n');
  return packOf([{ type: 'blob', size: 2 ** 40, deflated: deflateSync(blob) }]);
}

/** One pkt-line (pkt-line format: four hex digits of length, then the payload). */
export function pkt(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** The command section of a push creating `ref` at `id`, then the pack. */
export function pushBody(ref: string, id: string, pack: Buffer): Buffer {
  return Buffer.concat([pkt(`${ZERO_ID} ${id} ${ref}\0report-status\n`), Buffer.from('0000'), pack]);
}
