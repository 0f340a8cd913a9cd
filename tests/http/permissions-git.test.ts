import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { openStorage, type Storage } from '../../src/storage/storage.js';
import { git, type GitResult } from '../support/git-cli.js';
import { commitFile, makeFileHistory } from '../support/git-fixtures.js';
import { authEnv, createToken, grantRole, startHttpFixture, type HttpFixture } from './http-fixture.js';

const SECRET = '/import/secret';
const MISSING = '/import/nothing';

/**
 * Permissions on smart HTTP and LFS with the real git against `mega serve` (issue 16): a private
 * repository is invisible to who may not read it, pushing needs `write`, force-pushes, deletions
 * and protected branches need `maintain`, a first push needs `write` on the parent and makes the
 * pusher maintainer. `alice` (the fixture's user) maintains `/`.
 */
describe('permissions on git and git-lfs traffic', () => {
  let fx: HttpFixture;
  let storage: Storage;
  let src: string;
  const tokens: Record<'reader' | 'writer' | 'stranger' | 'creator', string> = {
    reader: '',
    writer: '',
    stranger: '',
    creator: '',
  };

  beforeAll(async () => {
    fx = await startHttpFixture();
    const dataDir = join(fx.work, 'data');
    for (const name of Object.keys(tokens) as (keyof typeof tokens)[]) {
      tokens[name] = await createToken(dataDir, name);
    }
    await grantRole(dataDir, 'reader', SECRET, 'read');
    await grantRole(dataDir, 'writer', SECRET, 'write');
    await grantRole(dataDir, 'creator', '/import', 'write');
    storage = await openStorage(loadConfig({ env: {}, overrides: { dataDir } }));
    src = join(fx.work, 'src');
    await makeFileHistory(src, 2);
    await fx.git(2, ['-C', src, 'push', '-q', fx.url(SECRET), 'main']);
    await storage.access.setPathSetting(SECRET, { visibility: 'private' });
  }, 120_000);
  afterAll(async () => {
    await storage?.close();
    await fx?.stop();
  });

  const as = (token: string | undefined, args: string[]): Promise<GitResult> =>
    git(['-c', 'protocol.version=2', ...args], {
      cwd: fx.work,
      env: token ? authEnv(token) : {},
      check: false,
    });
  const infoRefs = (path: string, token?: string, service = 'git-upload-pack') =>
    fetch(fx.url(`${path}/info/refs?service=${service}`), {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });

  it('a private repository asks anonymous callers for credentials (401 with the Basic challenge)', async () => {
    const response = await infoRefs(SECRET);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Mega", charset="UTF-8"');
    const clone = await as(undefined, ['clone', fx.url(SECRET), join(fx.work, 'anonymous')]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain('could not read Username');
  });

  it('is not found for a user without a grant, byte for byte like a missing path', async () => {
    const hidden = await infoRefs(SECRET, tokens.stranger);
    const missing = await infoRefs(MISSING, tokens.stranger);
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(hidden.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    expect((await hidden.text()).replace(SECRET, MISSING)).toBe(await missing.text());
    const pushHidden = await infoRefs(SECRET, tokens.stranger, 'git-receive-pack');
    expect(pushHidden.status).toBe(404);
    expect(await pushHidden.text()).toBe(`${SECRET}: not found\n`);
    // A missing path is a first push, which needs write on the (readable) parent: 403.
    expect((await infoRefs(MISSING, tokens.stranger, 'git-receive-pack')).status).toBe(403);
    const clone = await as(tokens.stranger, ['clone', fx.url(SECRET), join(fx.work, 'stranger')]);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toContain(`remote: ${SECRET}: not found`);
  });

  it('a reader clones but may not push (403 with the reason git prints)', async () => {
    const dir = join(fx.work, 'reader');
    const clone = await as(tokens.reader, ['clone', '-q', fx.url(SECRET), dir]);
    expect(clone.code, clone.stderr).toBe(0);
    await commitFile(dir, 'reader.txt', 'reader\n', 'reader change');
    const push = await as(tokens.reader, ['-C', dir, 'push', 'origin', 'HEAD:refs/heads/reader']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain(`remote: push needs the write role on ${SECRET}`);
    expect(push.stderr).toContain('403');
  });

  it('a writer pushes, but force-pushes and deletions need a maintainer', async () => {
    const dir = join(fx.work, 'writer');
    expect((await as(tokens.writer, ['clone', '-q', fx.url(SECRET), dir])).code).toBe(0);
    await commitFile(dir, 'topic.txt', 'one\n', 'topic one');
    const pushed = await as(tokens.writer, ['-C', dir, 'push', 'origin', 'HEAD:refs/heads/topic']);
    expect(pushed.code, pushed.stderr).toBe(0);
    await git(['-C', dir, 'commit', '-q', '--amend', '-m', 'topic rewritten']);
    const forced = await as(tokens.writer, ['-C', dir, 'push', '--force', 'origin', 'HEAD:refs/heads/topic']);
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain(
      `! [remote rejected] HEAD -> topic (a non-fast-forward update (force-push) needs the maintain role on ${SECRET})`,
    );
    const deleted = await as(tokens.writer, ['-C', dir, 'push', 'origin', ':refs/heads/topic']);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain(
      `! [remote rejected] topic (deleting a branch needs the maintain role on ${SECRET})`,
    );

    const maintainerForced = await as(fx.token, [
      '-C',
      dir,
      'push',
      '--force',
      fx.url(SECRET),
      'HEAD:refs/heads/topic',
    ]);
    expect(maintainerForced.code, maintainerForced.stderr).toBe(0);
    const maintainerDeleted = await as(fx.token, ['-C', dir, 'push', fx.url(SECRET), ':refs/heads/topic']);
    expect(maintainerDeleted.code, maintainerDeleted.stderr).toBe(0);
  });

  it('protected patterns (release/*) need a maintainer to move and nobody deletes them', async () => {
    await storage.access.protectBranches(SECRET, 'release/*');
    const dir = join(fx.work, 'writer');
    const writer = await as(tokens.writer, ['-C', dir, 'push', 'origin', 'HEAD:refs/heads/release/1.0']);
    expect(writer.code).not.toBe(0);
    expect(writer.stderr).toContain(
      `(updating the protected branch release/1.0 needs the maintain role on ${SECRET})`,
    );
    const maintainer = await as(fx.token, ['-C', dir, 'push', fx.url(SECRET), 'HEAD:refs/heads/release/1.0']);
    expect(maintainer.code, maintainer.stderr).toBe(0);
    const deleted = await as(fx.token, ['-C', dir, 'push', fx.url(SECRET), ':refs/heads/release/1.0']);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain('(deleting a protected branch is not allowed)');
    // With patterns, the default branch is an ordinary branch: a writer moves it forward.
    await commitFile(dir, 'main.txt', 'main\n', 'main moves');
    const main = await as(tokens.writer, ['-C', dir, 'push', 'origin', 'HEAD:refs/heads/main']);
    expect(main.code, main.stderr).toBe(0);
  });

  it('a first push needs write on the parent and makes the pusher maintainer', async () => {
    const refused = await as(tokens.writer, ['-C', src, 'push', fx.url('/import/made-by-writer'), 'main']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'remote: creating /import/made-by-writer needs the write role on /import',
    );

    const created = await as(tokens.creator, ['-C', src, 'push', fx.url('/import/made'), 'main']);
    expect(created.code, created.stderr).toBe(0);
    const grants = (await storage.access.listGrants()).filter((grant) => grant.path === '/import/made');
    expect(grants.map((grant) => [grant.subjectName, grant.role])).toEqual([['creator', 'maintain']]);
    // As maintainer, the creator may delete a branch of it.
    await as(tokens.creator, ['-C', src, 'push', fx.url('/import/made'), 'main:refs/heads/extra']);
    const deleted = await as(tokens.creator, [
      '-C',
      src,
      'push',
      fx.url('/import/made'),
      ':refs/heads/extra',
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
  });

  it('LFS: a reader may not upload; anonymous downloads of a private repository get 401', async () => {
    const batch = (token: string | undefined, operation: string) =>
      fetch(fx.url(`${SECRET}.git/info/lfs/objects/batch`), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/vnd.git-lfs+json',
          Accept: 'application/vnd.git-lfs+json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ operation, objects: [{ oid: 'a'.repeat(64), size: 1 }] }),
      });
    const upload = await batch(tokens.reader, 'upload');
    expect(upload.status).toBe(403);
    expect(((await upload.json()) as { message: string }).message).toBe(
      `push needs the write role on ${SECRET}`,
    );
    const anonymous = await batch(undefined, 'download');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('lfs-authenticate')).toBe('Basic realm="Mega"');
    expect((await batch(tokens.stranger, 'download')).status).toBe(404);
    expect((await batch(tokens.reader, 'download')).status).toBe(200);
    expect((await batch(tokens.writer, 'upload')).status).toBe(200);
  });
});
