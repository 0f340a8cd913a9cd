import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { ObjectFiles } from './object-files.js';
import { SpillingPackSpool } from './pack-file-spool.js';

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

describe('SpillingPackSpool', () => {
  it('reads back the same bytes before and after spilling to a file, and removes the file', async () => {
    const dir = await makeTempDir('mega-spool-');
    try {
      const spool = new SpillingPackSpool(join(dir.path, 'tmp'), 10);
      const parts = [Buffer.from('0123456'), Buffer.from('789ab'), Buffer.from('cdefghij')];
      await spool.append(parts[0]!);
      expect(spool.read(2, 3).toString()).toBe('234');
      await spool.append(parts[1]!);
      await spool.append(parts[2]!);
      expect(spool.read(5, 10).toString()).toBe('56789abcde');
      expect(() => spool.read(15, 10)).toThrow(RangeError);
      await spool.dispose();
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
    } finally {
      await dir.remove();
    }
  });
});
