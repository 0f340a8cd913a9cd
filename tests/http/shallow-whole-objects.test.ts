import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitText } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { fsckStrict, startHttpFixture, type HttpFixture } from './http-fixture.js';

/** Lines different enough that git deltifies a one-line change instead of rewriting the file. */
function lines(count: number, changed = -1): string {
  return Array.from(
    { length: count },
    (_, i) => `line ${i} ${i === changed ? 'changed' : 'of the file'}\n`,
  ).join('');
}

/**
 * A shallow clone sends whole what is stored as a delta against an object it leaves out (the
 * previous version of a file, pushed first, so the tip's version came as a thin delta on it).
 * Those are inflated, their chains resolved, and deflated again at zlib's fastest level.
 */
describe('a shallow clone of objects stored as deltas on older versions', () => {
  let fx: HttpFixture;

  beforeAll(async () => {
    fx = await startHttpFixture();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('gets them whole, deflated fast, and fsck --strict is clean', async () => {
    const origin = join(fx.work, 'origin');
    const url = fx.url('/import/shallow-whole.git');
    await makeRepo(origin, [{ 'src/big.txt': lines(2000), 'src/other.txt': lines(500) }]);
    await fx.git(2, ['-C', origin, 'push', '-q', url, 'HEAD:refs/heads/main']);
    // Each push after the first sends the new versions as thin deltas on the old ones.
    for (let round = 1; round <= 3; round++) {
      await commitFile(origin, 'src/big.txt', lines(2000, round * 100), `change ${round}`);
      await fx.git(2, ['-C', origin, 'push', '-q', url, 'HEAD:refs/heads/main']);
    }
    const shallow = join(fx.work, 'shallow');
    await fx.anonymous(2, ['clone', '-q', '--bare', '--depth', '1', url, shallow]);
    await fsckStrict(shallow);
    expect(await gitText(['-C', shallow, 'rev-list', '--count', 'main'])).toBe('1');
    const tipBlob = await gitText(['-C', origin, 'rev-parse', 'HEAD:src/big.txt']);
    expect(await gitText(['-C', shallow, 'cat-file', 'blob', tipBlob])).toBe(lines(2000, 300).trimEnd());

    // The tip's blob is a whole entry of the received pack, its zlib stream at level 1.
    const packDir = join(shallow, 'objects', 'pack');
    const idx = (await readdir(packDir)).find((name) => name.endsWith('.idx')) as string;
    const verify = await gitText(['verify-pack', '-v', join(packDir, idx)]);
    const entry = verify.split('\n').find((line) => line.startsWith(`${tipBlob} `)) as string;
    const [, type, , , offset, depth] = entry.split(/\s+/);
    expect(type).toBe('blob');
    expect(depth).toBeUndefined();
    const pack = await readFile(join(packDir, idx.replace(/\.idx$/, '.pack')));
    let at = Number(offset);
    while ((pack[at] as number) & 0x80) at++;
    // zlib's header: CMF 0x78, then FLG whose top two bits are the level class (0: fastest).
    expect(pack[at + 1]).toBe(0x78);
    expect((pack[at + 2] as number) >> 6).toBe(0);
  });
});
