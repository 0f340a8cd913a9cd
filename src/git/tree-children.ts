import { SHA1, type ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { invalid } from '../platform/errors.js';

const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_7 = 0x37;
const TYPE_MASK = 0o170000;
const TYPE_TREE = 0o040000;
const TYPE_GITLINK = 0o160000;

/**
 * Calls `visit` for each child of a tree object (gitformat-tree: `<octal mode> SP <name> NUL
 * <raw id>` repeated) that a pack may carry: subtrees and blobs (files and symlinks); gitlinks
 * (submodule commits) are skipped. Object walks need no entry objects, so this scans the bytes
 * directly: `parseTree` decodes every name, which costs more than the walk. The name is passed as
 * its byte range in `data` (`nameStart` to `nameEnd`), for the few callers that compare paths.
 */
export function forEachTreeChild(
  data: Buffer,
  visit: (id: ObjectId, isTree: boolean, nameStart: number, nameEnd: number) => void,
  format: ObjectFormat = SHA1,
): void {
  forEachTreeChildAt(
    data,
    (idOffset, isTree, nameStart, nameEnd) =>
      visit(objectIdFromRaw(data, idOffset, format), isTree, nameStart, nameEnd),
    format,
  );
}

/**
 * `forEachTreeChild` with each child's raw id left in place: `idOffset` is where its bytes start
 * in `data`. A walk that has seen most entries before looks them up by these bytes
 * (`RawIdTable`) and makes a hex id only for the new ones.
 */
export function forEachTreeChildAt(
  data: Buffer,
  visit: (idOffset: number, isTree: boolean, nameStart: number, nameEnd: number) => void,
  format: ObjectFormat = SHA1,
): void {
  let pos = 0;
  while (pos < data.length) {
    let mode = 0;
    let cursor = pos;
    for (; cursor < data.length; cursor++) {
      const byte = data[cursor] as number;
      if (byte === SPACE) break;
      if (byte < DIGIT_0 || byte > DIGIT_7 || cursor - pos >= 7) {
        throw invalid('object_bad_tree', 'tree entry mode is not octal', { offset: pos });
      }
      mode = mode * 8 + (byte - DIGIT_0);
    }
    if (cursor === pos || cursor >= data.length) {
      throw invalid('object_bad_tree', 'tree entry is truncated', { offset: pos });
    }
    const nul = data.indexOf(0, cursor + 1);
    if (nul < 0 || nul + 1 + format.rawLength > data.length) {
      throw invalid('object_bad_tree', 'tree entry is truncated', { offset: pos });
    }
    const type = mode & TYPE_MASK;
    if (type !== TYPE_GITLINK) {
      visit(nul + 1, type === TYPE_TREE, cursor + 1, nul);
    }
    pos = nul + 1 + format.rawLength;
  }
}
