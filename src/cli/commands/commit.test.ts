import { describe, expect, it } from 'vitest';
import { isMegaError } from '../../platform/errors.js';
import { actionsOf } from './commit.js';

const none = { create: [], update: [], delete: [], move: [], chmod: [] };

describe('mega commit actions from flags', () => {
  it('reads local files: UTF-8 as text, other bytes as base64', async () => {
    const files: Record<string, Buffer> = {
      'a.txt': Buffer.from('héllo\n'),
      'b.bin': Buffer.from([0xff, 0xfe]),
    };
    const read = async (path: string) => files[path] ?? Buffer.alloc(0);
    expect(
      await actionsOf(
        {
          ...none,
          create: ['docs/a.txt=a.txt'],
          update: ['b=b.bin'],
          delete: ['old.txt'],
          move: ['x/y.txt:z.txt'],
          chmod: ['+x:run.sh', '-x:tool'],
        },
        read,
      ),
    ).toEqual([
      { action: 'create', filePath: 'docs/a.txt', content: 'héllo\n' },
      { action: 'update', filePath: 'b', content: '//4=', encoding: 'base64' },
      { action: 'delete', filePath: 'old.txt' },
      { action: 'move', previousPath: 'x/y.txt', filePath: 'z.txt' },
      { action: 'chmod', filePath: 'run.sh', executeFilemode: true },
      { action: 'chmod', filePath: 'tool', executeFilemode: false },
    ]);
  });

  it.each([
    [{ ...none }],
    [{ ...none, create: ['no-local-file'] }],
    [{ ...none, create: ['=x'] }],
    [{ ...none, move: ['only-one'] }],
    [{ ...none, move: ['a:'] }],
    [{ ...none, chmod: ['x:file'] }],
    [{ ...none, chmod: ['+x'] }],
  ])('refuses malformed flags %j', async (options) => {
    const error = await actionsOf(options, async () => Buffer.from('')).catch((caught: unknown) => caught);
    expect(isMegaError(error, 'invalid', 'argument_invalid')).toBe(true);
  });
});
