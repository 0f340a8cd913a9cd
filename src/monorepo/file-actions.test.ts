import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { entryAtPath } from './tree-edit.js';
import {
  applyFileActions,
  checkFileActions,
  DEFAULT_FILE_ACTION_LIMITS,
  fileSegments,
  type FileAction,
} from './file-actions.js';
import { filesOf, memoryObjects, treeOf } from './testing/memory-objects.js';

const text = (value: string) => Buffer.from(value);

describe('file actions', () => {
  it('applies create, update, delete, move and chmod in order', async () => {
    const { objects, reader } = memoryObjects();
    const tree = await treeOf(objects, { 'a.txt': 'a', 'dir/b.txt': 'b', 'old/c.txt': 'c', 'run.sh': 'r' });
    const actions: FileAction[] = [
      { action: 'create', path: 'new/deep/n.txt', content: text('n') },
      { action: 'update', path: 'a.txt', content: text('a2') },
      { action: 'delete', path: 'dir/b.txt' },
      { action: 'move', previousPath: 'old/c.txt', path: 'moved/c.txt' },
      { action: 'chmod', path: 'run.sh', executable: true },
    ];
    checkFileActions(actions, DEFAULT_FILE_ACTION_LIMITS);
    const result = (await applyFileActions(reader, objects, tree, actions))!;
    expect(await filesOf(reader, result)).toEqual({
      'a.txt': 'a2',
      'moved/c.txt': 'c',
      'new/deep/n.txt': 'n',
      'run.sh': 'r',
    });
    expect((await entryAtPath(reader, result, ['run.sh']))?.mode).toBe('100755');
  });

  it.each([
    '',
    '/a',
    'a/',
    'a//b',
    '../a',
    'a/..',
    './a',
    '.git',
    '.GIT/x',
    'a/.git',
    'git~1/x',
    '.git./x',
    'a\\b',
    'a\nb',
  ])('refuses the path %j', (path) => {
    let caught: unknown;
    try {
      fileSegments(path);
    } catch (error) {
      caught = error;
    }
    expect(isMegaError(caught, 'invalid', 'file_path_invalid')).toBe(true);
  });

  it('accepts ordinary names, dots inside included', () => {
    expect(fileSegments('src/.gitignore')).toEqual(['src', '.gitignore']);
    expect(fileSegments('a/..b/c...d')).toEqual(['a', '..b', 'c...d']);
  });

  it('refuses binary content, duplicates and oversized lists', () => {
    const refused = (actions: FileAction[], code: string) => {
      try {
        checkFileActions(actions, { maxActions: 2, maxFileBytes: 4, maxTotalBytes: 6 });
      } catch (error) {
        return isMegaError(error) && error.code === code;
      }
      return false;
    };
    expect(refused([{ action: 'create', path: 'x', content: Buffer.from([1, 0]) }], 'binary_content')).toBe(
      true,
    );
    expect(
      refused(
        [
          { action: 'delete', path: 'x' },
          { action: 'move', previousPath: 'x', path: 'y' },
        ],
        'commit_duplicate_path',
      ),
    ).toBe(true);
    expect(
      refused(
        [
          { action: 'delete', path: 'a' },
          { action: 'delete', path: 'b' },
          { action: 'delete', path: 'c' },
        ],
        'commit_too_many_actions',
      ),
    ).toBe(true);
    expect(refused([{ action: 'create', path: 'x', content: text('12345') }], 'commit_file_too_large')).toBe(
      true,
    );
    expect(
      refused(
        [
          { action: 'create', path: 'x', content: text('1234') },
          { action: 'create', path: 'y', content: text('1234') },
        ],
        'commit_too_large',
      ),
    ).toBe(true);
    expect(refused([], 'commit_actions_empty')).toBe(true);
  });
});
