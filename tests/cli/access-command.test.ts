import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMega, startMegaServer } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

/** `mega init`'s first administrator, `mega access`, `mega group` and `mega token list|revoke`. */
describe('management commands', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let dataDir: string;
  const mega = async (...args: string[]) => {
    const result = await runMega([...args, '--data', dataDir]);
    return { ...result, lines: result.stdout.trimEnd().split('\n') };
  };
  const ok = async (...args: string[]) => {
    const result = await mega(...args);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return result.lines;
  };

  beforeAll(async () => {
    temp = await makeTempDir('mega-access-cli-');
    dataDir = join(temp.path, 'data');
  });

  afterAll(async () => {
    await temp.remove();
  });

  it('mega init prints the first administrator token last, once; it works as an administrator', async () => {
    const first = await ok('init', '--admin-user', 'root');
    const token = first.at(-1) ?? '';
    expect(token).toMatch(/^mega_[A-Za-z0-9_-]{43}$/);
    const again = await ok('init');
    expect(again.join('\n')).not.toMatch(/mega_/);
    expect(await ok('token', 'list', 'root')).toEqual([
      expect.stringMatching(/^1\tinit\tread,write,admin\tcreated \S+\texpires never\tlast used never$/),
    ]);
    const server = await startMegaServer({ dataDir });
    try {
      const me = await fetch(`${server.url}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
      expect(await me.json()).toMatchObject({ username: 'root', isAdmin: true });
    } finally {
      await server.stop();
    }
  });

  it('grants, lists and revokes roles for users and groups; sets visibility, self-merge, patterns', async () => {
    await ok('token', 'create', 'ann');
    await ok('token', 'create', 'ben');
    expect(await ok('group', 'create', 'devs')).toEqual(['mega: created group devs']);
    await ok('group', 'add', 'devs', 'ben');
    expect(await ok('group', 'list')).toEqual(['devs\tben']);
    expect(await ok('access', 'grant', 'projects/app.git', 'ann', 'maintain')).toEqual([
      'mega: ann has maintain on /projects/app',
    ]);
    await ok('access', 'grant', '/import', '@devs', 'read');
    expect(await ok('access', 'list')).toEqual(['/import\t@devs\tread', '/projects/app\tann\tmaintain']);
    expect(await ok('access', 'list', '--path', '/projects')).toEqual(['/projects/app\tann\tmaintain']);
    expect(await ok('access', 'visibility', '/projects/app', 'private')).toEqual([
      'mega: /projects/app visibility private',
    ]);
    expect(await ok('access', 'self-merge', '/projects', 'allow')).toEqual([
      'mega: /projects self-merge allowed',
    ]);
    expect(await ok('access', 'self-merge', '/projects', 'inherit')).toEqual([
      'mega: /projects self-merge inherited',
    ]);
    expect(await ok('access', 'protect', '/projects/app', 'release/*')).toEqual([
      'mega: /projects/app protects release/*',
    ]);
    await ok('access', 'unprotect', '/projects/app', 'release/*');
    await ok('access', 'revoke', '/projects/app', 'ann');
    await ok('group', 'remove', 'devs', 'ben');
    await ok('group', 'delete', 'devs');
    expect(await ok('access', 'list')).toEqual(['']);
    const [line] = await ok('token', 'list', 'ann');
    const id = (line ?? '').split('\t')[0] ?? '';
    expect(await ok('token', 'revoke', 'ann', id)).toEqual([`mega: revoked token ${id} of ann`]);
    expect(await ok('token', 'list', 'ann')).toEqual(['']);
  });

  it('refuses bad input with exit code 1 and a message saying why', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['access', 'grant', '/a/../b', 'ann', 'read'], /invalid path/],
      [['access', 'grant', '/a', 'ann', 'owner'], /role must be one of read, write, maintain, admin/],
      [['access', 'grant', '/a', 'ghost', 'read'], /user not found/],
      [['access', 'grant', '/a', '@ghosts', 'read'], /group not found/],
      [['access', 'visibility', '/a', 'secret'], /expected one of public, internal, private, inherit/],
      [['access', 'protect', '/a', 'bad..pattern'], /invalid branch pattern/],
      [['access', 'unprotect', '/a', 'main'], /no such protected-branch pattern/],
      [['group', 'add', 'nogroup', 'ann'], /group not found/],
      [['token', 'list', 'ghost'], /user not found/],
      [['token', 'revoke', 'ann', 'x'], /token id must be a positive whole number/],
      [['token', 'revoke', 'ann', '999'], /token not found/],
    ];
    for (const [args, message] of cases) {
      const result = await mega(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(message);
    }
  });
});
