import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { ObjectFiles } from './object-files.js';

const ID = 'ce013625030ba8dba906f756967f9e9ca394464a';

describe('ObjectFiles', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let files: ObjectFiles;
  beforeEach(async () => {
    dir = await makeTempDir('mega-objfiles-');
    files = new ObjectFiles(dir.path);
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('writes content-addressed files atomically and leaves no temp files', async () => {
    const stored = await files.write(ID, [Buffer.from('a'), Buffer.from('b')]);
    expect(stored).toBe(`ce/${ID.slice(2)}`);
    expect((await files.read(stored)).toString()).toBe('ab');
    await Promise.all([files.write(ID, [Buffer.from('ab')]), files.write(ID, [Buffer.from('ab')])]);
    expect(await files.listTemps()).toEqual([]);
  });

  it('refuses anything but a hex id as a file name, and paths that leave the root', () => {
    for (const id of [
      '../../etc/passwd',
      `${ID.slice(0, 39)}/`,
      ID.toUpperCase(),
      '',
      `${ID}00`,
      'ce/../../x',
    ]) {
      expect(() => files.relativePath(id)).toThrow(expect.objectContaining({ code: 'invalid_object_id' }));
    }
    for (const stored of ['../x', 'ce/../../x', '/etc/passwd', '']) {
      expect(() => files.absolutePath(stored)).toThrow(
        expect.objectContaining({ code: 'invalid_object_path' }),
      );
    }
  });

  it('removes only stale temp files', async () => {
    const temp = join(files.root, 'tmp');
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, 'old'), 'x');
    await writeFile(join(temp, 'fresh'), 'x');
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(temp, 'old'), hourAgo, hourAgo);
    expect(await files.removeStaleTemps()).toBe(1);
    expect(await files.listTemps()).toEqual(['fresh']);
  });
});
